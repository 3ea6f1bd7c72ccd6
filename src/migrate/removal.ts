/**
 * The last step of a migration, printed and never run: what removes the host installs that a jrt
 * runtime now replaces and no job still runs on. Debian packages go in one `apt-get remove`, with
 * every installed package that depends on them (apt would remove those too: the operator must
 * see them first); version managers get their own uninstall command, run as the home's owner;
 * trees unpacked by hand get an `rm -rf` of exactly their directory. Pure.
 */
import type { DpkgDb } from '../builder/dpkg.js';
import type { MatchedInstall } from './analyze.js';
import { MANAGERS, type ManagerName } from './managers.js';
import type { InstallSource } from './types.js';

export interface RemovalCommand {
  command: string;
  /** `where` of the installs it removes. */
  removes: string[];
  /** Installed packages apt-get would remove along with them, because they depend on them. */
  alsoRemoves: string[];
  /** What the operator must know before running it. */
  warnings: string[];
}

export interface RemovalStep {
  commands: RemovalCommand[];
  kept: { where: string; why: string }[];
}

/** Debian packages jrt itself runs on (doctor's tools, and Node for jrt): removing them breaks jrt. */
const JRT_NEEDS: Record<string, string> = {
  bubblewrap: 'jrt runs every job in it',
  mmdebstrap: 'jrt builds runtimes with it',
  'util-linux': 'jrt enters namespaces with it',
  slirp4netns: 'jrt gives --network=web jobs their network with it',
  nftables: "jrt keeps --network=web jobs off the host's own addresses and private networks with it",
  nodejs: 'jrt runs on it',
};

function warningsFor(packages: readonly string[]): string[] {
  const out = packages.filter((p) => p in JRT_NEEDS).map((p) => `${p} would go too: ${JRT_NEEDS[p]}`);
  if (packages.includes('python3'))
    out.push("python3 would go too: it is Debian's own Python, many tools use it");
  return out;
}

/** Directories that hold more than one install: never `rm -rf`. */
const SHARED = new Set(['/', '/usr', '/usr/local', '/opt', '/usr/lib/jvm']);

/**
 * Installed packages that lose a dependency when `removing` goes (transitively): a dependency
 * `a | b` breaks only when no alternative (nor a package providing it) is left.
 */
export function dependents(db: DpkgDb, removing: ReadonlySet<string>): string[] {
  const gone = new Set(removing);
  const present = (name: string) =>
    (db.packages.has(name) && !gone.has(name)) || (db.providers.get(name) ?? []).some((p) => !gone.has(p));
  const wasPresent = (name: string) => db.packages.has(name) || (db.providers.get(name)?.length ?? 0) > 0;
  for (let changed = true; changed; ) {
    changed = false;
    for (const pkg of db.packages.values()) {
      if (gone.has(pkg.name)) continue;
      const broken = [...pkg.depends, ...pkg.preDepends].some(
        (clause) => clause.some((a) => wasPresent(a.name)) && !clause.some((a) => present(a.name)),
      );
      if (broken) {
        gone.add(pkg.name);
        changed = true;
      }
    }
  }
  return [...gone].filter((n) => !removing.has(n)).sort();
}

const quote = (s: string) => (/^[A-Za-z0-9_./:@+=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

function ownerOf(home: string | undefined): string {
  return home === undefined || home === '/root' ? '' : `sudo -u ${quote(home.split('/').at(-1) ?? '')} -i `;
}

function isManager(source: InstallSource): source is ManagerName {
  return source in MANAGERS;
}

/**
 * @param replacedBy the recipe names whose runtimes are (or are about to be) installed
 * @param neededByJobs `where` of an install → the jobs that still run it from the host
 */
export function removalStep(
  installs: readonly MatchedInstall[],
  replacedBy: ReadonlySet<string>,
  neededByJobs: ReadonlyMap<string, string[]>,
  db: DpkgDb | undefined,
): RemovalStep {
  const step: RemovalStep = { commands: [], kept: [] };
  const debian: MatchedInstall[] = [];
  for (const i of installs) {
    const jobs = neededByJobs.get(i.where);
    if (i.match.recipe === undefined || !replacedBy.has(i.match.recipe)) {
      step.kept.push({ where: i.where, why: 'no installed runtime replaces it' });
    } else if (jobs && jobs.length > 0) {
      step.kept.push({ where: i.where, why: `still run from the host by ${jobs.join(', ')}` });
    } else if (i.source === 'debian') {
      debian.push(i);
    } else if (isManager(i.source) && i.managerName !== undefined) {
      const command = `${ownerOf(i.home)}${MANAGERS[i.source].removal(quote(i.managerName))}`;
      step.commands.push({ command, removes: [i.where], alsoRemoves: [], warnings: [] });
    } else if (SHARED.has(i.where) || i.where.startsWith('/usr/local/bin/')) {
      const prefix = i.where.startsWith('/usr/local/') ? '/usr/local' : i.where;
      step.kept.push({ where: i.where, why: `its files share ${prefix} with others: remove them by hand` });
    } else {
      for (const a of i.alternatives ?? [])
        step.commands.push({
          command: `update-alternatives --remove ${quote(a.name)} ${quote(a.path)}`,
          removes: [i.where],
          alsoRemoves: [],
          warnings: [],
        });
      const links = i.via.filter((v) => v.startsWith('/usr/local/bin/')).map(quote);
      step.commands.push({
        command: ['rm -rf', quote(i.where), ...links].join(' '),
        removes: [i.where],
        alsoRemoves: [],
        warnings: [],
      });
    }
  }
  if (debian.length > 0) {
    const names = new Set(debian.flatMap((i) => (i.packages ?? []).map((p) => p.name)));
    const alsoRemoves = db ? dependents(db, names) : [];
    step.commands.unshift({
      command: `apt-get remove ${[...names].sort().join(' ')}`,
      removes: debian.map((i) => i.where),
      alsoRemoves,
      warnings: warningsFor([...names, ...alsoRemoves]),
    });
  }
  return step;
}
