import { describe, expect, it } from 'vitest';
import { parseStatus } from '../../../src/builder/dpkg.js';
import type { MatchedInstall } from '../../../src/migrate/analyze.js';
import { dependents, removalStep } from '../../../src/migrate/removal.js';

const pkg = (name: string, depends?: string, provides?: string) =>
  `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1\n${depends ? `Depends: ${depends}\n` : ''}${provides ? `Provides: ${provides}\n` : ''}`;

const DB = parseStatus(
  [
    pkg('python3.11'),
    pkg('python3', 'python3.11'),
    pkg('python3-yaml', 'python3 (>= 3.11~)'),
    pkg('mmdebstrap', 'python3'),
    pkg('openjdk-17-jre-headless'),
    pkg('ca-certificates-java', 'openjdk-17-jre-headless | java8-runtime-headless'),
    pkg('jre-user', 'openjdk-17-jre-headless | java17-runtime'),
    pkg('temurin-17', undefined, 'java17-runtime'),
    pkg('broken-already', 'not-installed-anywhere'),
  ].join('\n'),
);

const install = (over: Partial<MatchedInstall>): MatchedInstall => ({
  language: 'python',
  version: '3.11.2',
  source: 'debian',
  where: '/usr/bin/python3.11',
  command: '/usr/bin/python3.11',
  via: [],
  match: { kind: 'exact', recipe: 'python-3.11', candidates: ['python-3.11'] },
  ...over,
});

describe('what apt-get remove would take along', () => {
  it('follows dependencies transitively, and keeps a package another alternative or provider still satisfies', () => {
    expect(dependents(DB, new Set(['python3.11']))).toEqual(['mmdebstrap', 'python3', 'python3-yaml']);
    expect(dependents(DB, new Set(['openjdk-17-jre-headless']))).toEqual(['ca-certificates-java']);
    expect(dependents(DB, new Set(['openjdk-17-jre-headless', 'temurin-17']))).toEqual([
      'ca-certificates-java',
      'jre-user',
    ]);
  });
});

describe('the printed removal step', () => {
  it('removes Debian packages in one apt-get line with what depends on them and the warnings, managers with their own command', () => {
    const step = removalStep(
      [
        install({ packages: [{ name: 'python3.11', version: '1' }] }),
        install({
          source: 'pyenv',
          where: '/home/al ice/.pyenv/versions/3.11.7',
          home: '/home/al ice',
          managerName: '3.11.7',
          version: '3.11.7',
        }),
        install({ source: 'opt', where: '/opt/python-3.11', via: ['/usr/local/bin/python3.11'] }),
        install({ source: 'usr-local', where: '/usr/local' }),
        install({ where: '/opt/py', source: 'opt', match: { kind: 'none', candidates: [] } }),
        install({ where: '/opt/used', source: 'opt' }),
      ],
      new Set(['python-3.11']),
      new Map([['/opt/used', ['pipeline.yaml:train']]]),
      DB,
    );
    expect(step.commands.map((c) => c.command)).toEqual([
      'apt-get remove python3.11',
      "sudo -u 'al ice' -i pyenv uninstall -f 3.11.7",
      'rm -rf /opt/python-3.11 /usr/local/bin/python3.11',
    ]);
    expect(step.commands[0]?.alsoRemoves).toEqual(['mmdebstrap', 'python3', 'python3-yaml']);
    expect(step.commands[0]?.warnings).toEqual([
      'mmdebstrap would go too: jrt builds runtimes with it',
      "python3 would go too: it is Debian's own Python, many tools use it",
    ]);
    expect(step.kept).toEqual([
      { where: '/usr/local', why: 'its files share /usr/local with others: remove them by hand' },
      { where: '/opt/py', why: 'no installed runtime replaces it' },
      { where: '/opt/used', why: 'still run from the host by pipeline.yaml:train' },
    ]);
  });

  it('removes nothing while no runtime is installed', () => {
    const step = removalStep(
      [install({ packages: [{ name: 'python3.11', version: '1' }] })],
      new Set(),
      new Map(),
      DB,
    );
    expect(step.commands).toEqual([]);
    expect(step.kept).toEqual([{ where: '/usr/bin/python3.11', why: 'no installed runtime replaces it' }]);
  });
});
