/**
 * What jrt asks of systemd when it runs on a host whose PID 1 is systemd (cgroup v2 hosts): who owns
 * the cgroup jrt runs in, whether that unit delegated its subtree (Delegate=yes), and — when it did
 * not — a delegated scope of jrt's own. systemd owns every cgroup outside a delegated subtree and may
 * move or remove what others make there (systemd's doc/CGROUP_DELEGATION.md).
 */
import { existsSync, readFileSync } from 'node:fs';
import { failure } from '../core/errors.js';
import { runTool } from './spawn.js';

/** The unit a cgroup path belongs to, systemd's own rule: the first component that is not a slice. Pure. */
export function unitOfCgroup(cgroup: string): { unit: string; unitPath: string; slice?: string } | undefined {
  const parts = cgroup.split('/').filter(Boolean);
  const i = parts.findIndex((p) => !p.endsWith('.slice'));
  if (i < 0) return undefined;
  const slice = i > 0 ? parts[i - 1] : undefined;
  return {
    unit: parts[i] as string,
    unitPath: `/${parts.slice(0, i + 1).join('/')}`,
    ...(slice ? { slice } : {}),
  };
}

/** The cgroup v2 path of a process (the `0::` line of /proc/PID/cgroup). Pure. */
export function v2PathOf(procCgroup: string): string | undefined {
  return /^0::(\/.*)$/m.exec(procCgroup)?.[1];
}

/** The systemd calls jrt makes; tests pass a fake, src/runner/systemd.ts's hostSystemd is the real one. */
export interface SystemdLink {
  /** Whether `unit` has Delegate=yes. */
  delegates(unit: string): boolean;
  /**
   * Move this process into a new scope `name` with Delegate=yes (in `slice` when given), like
   * `systemd-run --scope -p Delegate=yes`; returns the scope's cgroup path once the process is in it.
   */
  startDelegatedScope(name: string, slice: string | undefined): Promise<string>;
}

const SCOPE_WAIT_MS = 10_000;

/** systemd as PID 1 (sd_booted's test): the real link, else undefined. */
export function hostSystemd(): SystemdLink | undefined {
  if (!existsSync('/run/systemd/system')) return undefined;
  return {
    delegates(unit) {
      const r = runTool('systemctl', ['show', '--property=Delegate', '--value', '--', unit]);
      if (r.status !== 0) throw systemdFailure(`systemctl show ${unit}`, r.stderr);
      return r.stdout.trim() === 'yes';
    },
    async startDelegatedScope(name, slice) {
      // Each property: its name, its D-Bus type, its value (an array: its length, then its items).
      const props: string[][] = [
        ['PIDs', 'au', '1', String(process.pid)],
        ['Delegate', 'b', 'true'],
        ['CollectMode', 's', 'inactive-or-failed'],
        ['Description', 's', `jrt exec job ${name}`],
        ...(slice ? [['Slice', 's', slice]] : []),
      ];
      // The system bus when dbus runs; systemd's own socket (root only) on hosts without dbus.
      const bus = existsSync('/run/dbus/system_bus_socket')
        ? []
        : ['--address=unix:path=/run/systemd/private'];
      const r = runTool('busctl', [
        ...bus,
        'call',
        'org.freedesktop.systemd1',
        '/org/freedesktop/systemd1',
        'org.freedesktop.systemd1.Manager',
        'StartTransientUnit',
        'ssa(sv)a(sa(sv))',
        name,
        'fail',
        String(props.length),
        ...props.flat(),
        '0',
      ]);
      if (r.status !== 0) throw systemdFailure(`StartTransientUnit ${name}`, r.stderr);
      // The call returns once the start job is queued; the move happens when it runs.
      const deadline = Date.now() + SCOPE_WAIT_MS;
      for (;;) {
        const own = v2PathOf(readFileSync('/proc/self/cgroup', 'utf8'));
        if (own?.endsWith(`/${name}`)) return own;
        if (Date.now() > deadline)
          throw systemdFailure(
            `StartTransientUnit ${name}`,
            `jrt is still in ${own} after ${SCOPE_WAIT_MS} ms`,
          );
        await new Promise((r) => setTimeout(r, 2));
      }
    },
  };
}

function systemdFailure(what: string, why: string) {
  return failure('ERR_JRT_SYSTEMD', `systemd refused ${what}: ${why.trim()}`, {
    hint: 'jrt exec needs root on a systemd host to get a delegated scope; or run it from a service with Delegate=yes (docs/install.md)',
  });
}
