import { describe, expect, it } from 'vitest';
import { findConflicts, type Identity, identityOf } from '../../../src/installer/identity.js';
import type { InstalledRuntime } from '../../../src/runner/resolve.js';

const rt = (name: string, language: string, version: string, tags: string[] = [], aliases: string[] = []) =>
  ({ dir: `/r/${language}/${name}`, name, language, version, tags, aliases }) satisfies InstalledRuntime;

const INSTALLED = [
  rt('java-17', 'java', '17.0.2', [], ['openjdk-17']),
  rt('python-3.11-ml', 'python', '3.11', ['ml']),
  rt('node-18', 'node', '18.20.8', [], ['nodejs-18']),
];

const id = (over: Partial<Identity> = {}): Identity => ({
  name: 'evil-1',
  language: 'demo',
  version: '1.0',
  tags: [],
  aliases: [],
  ...over,
});

describe('identityOf', () => {
  it('takes language, version (a number too), sorted tags and aliases from runtime.yml', () => {
    expect(
      identityOf(
        { language: 'python', version: 3.11, tags: ['ml', 'gpu'], aliases: ['py'] },
        'python-3.11-ml',
      ),
    ).toEqual({
      identity: {
        name: 'python-3.11-ml',
        language: 'python',
        version: '3.11',
        tags: ['gpu', 'ml'],
        aliases: ['py'],
      },
    });
    expect(identityOf({ language: 'demo', version: '1' }, 'demo-1')).toEqual({
      identity: id({ name: 'demo-1', version: '1' }),
    });
  });

  it.each<[string, unknown, string]>([
    [
      'a version with escapes',
      { language: 'demo', version: '1\x1b[2J' },
      "version '1\\x1b[2J' is not a version",
    ],
    ['no version', { language: 'demo' }, 'version undefined is not a version'],
    ['a language with a space', { language: 'de mo', version: '1' }, "language 'de mo' is not a name"],
    [
      'aliases that are not a list',
      { language: 'demo', version: '1', aliases: 'java-17' },
      "aliases must be a list of names, not 'java-17'",
    ],
    [
      'an alias with a newline',
      { language: 'demo', version: '1', aliases: ['ok', 'java-17\nx'] },
      "aliases[1] 'java-17\\x0ax' is not a name",
    ],
    [
      'a tag that is a mapping',
      { language: 'demo', version: '1', tags: [{ a: 1 }] },
      'tags[0] {"a":1} is not a name',
    ],
    [
      'an alias starting with a dash',
      { language: 'demo', version: '1', aliases: ['-rf'] },
      "aliases[0] '-rf' is not a name",
    ],
    ['not a mapping', ['demo'], 'runtime.yml is not a mapping'],
  ])('refuses %s, saying which field', (_what, yml, problem) => {
    const r = identityOf(yml, 'evil-1');
    expect('problems' in r && r.problems.join('; ')).toContain(problem);
  });
});

describe('findConflicts', () => {
  it('finds nothing for a runtime of its own', () => {
    expect(findConflicts(id({ aliases: ['evil'] }), '/r/demo/evil-1', INSTALLED)).toEqual([]);
  });

  it('names every alias, name and (language, version, tags) claimed, with the other runtime and its place', () => {
    const c = id({
      language: 'java',
      version: '17.0.2',
      aliases: ['java-17', 'python-3.11-ml', 'nodejs-18', 'evil-1'],
    });
    expect(findConflicts(c, '/r/java/evil-1', INSTALLED)).toEqual([
      "alias 'java-17' is the name of the installed runtime java-17 (/r/java/java-17)",
      'language java, version 17.0.2 and tags [] are also those of the installed runtime java-17 (/r/java/java-17)',
      "alias 'python-3.11-ml' is the name of the installed runtime python-3.11-ml (/r/python/python-3.11-ml)",
      "alias 'nodejs-18' is also an alias of the installed runtime node-18 (/r/node/node-18)",
    ]);
  });

  it("a name that is another runtime's name (in another language) or alias", () => {
    expect(findConflicts(id({ name: 'java-17' }), '/r/demo/java-17', INSTALLED)).toEqual([
      "name 'java-17' is also the name of the installed runtime java-17 (/r/java/java-17)",
    ]);
    expect(findConflicts(id({ name: 'openjdk-17' }), '/r/demo/openjdk-17', INSTALLED)).toEqual([
      "name 'openjdk-17' is an alias of the installed runtime java-17 (/r/java/java-17)",
    ]);
  });

  it('the same language and version with other tags is another runtime; with the same tags it is not', () => {
    expect(findConflicts(id({ language: 'python', version: '3.11' }), '/r/python/x', INSTALLED)).toEqual([]);
    expect(
      findConflicts(id({ language: 'python', version: '3.11', tags: ['ml'] }), '/r/python/x', INSTALLED),
    ).toHaveLength(1);
    // Versions are the same only when spelled the same: 17 is not 17.0.2.
    expect(findConflicts(id({ language: 'java', version: '17' }), '/r/java/x', INSTALLED)).toEqual([]);
  });

  it('the runtime being replaced (same place) is no conflict, even with the same identity', () => {
    expect(
      findConflicts(
        id({ name: 'java-17', language: 'java', version: '17.0.2', aliases: ['openjdk-17'] }),
        '/r/java/java-17',
        INSTALLED,
      ),
    ).toEqual([]);
  });

  it('escapes what it quotes from the other runtime', () => {
    const odd = [rt('x\x1b[2J', 'demo', '9', [], ['evil'])];
    expect(findConflicts(id({ aliases: ['evil'] }), '/r/demo/evil-1', odd)).toEqual([
      "alias 'evil' is also an alias of the installed runtime x\\x1b[2J (/r/demo/x\\x1b[2J)",
    ]);
  });
});
