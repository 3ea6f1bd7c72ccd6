import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { usernsHelperPath } from '../builder/userns.js';
import { compileExecBundle } from '../core/code-cache.js';
import { emit } from '../core/context.js';
import { EXIT } from '../core/errors.js';
import { diskUsageState } from '../disk/doctor-usage.js';
import { type DoctorOptions, doctorOk, runChecks } from '../doctor/checks.js';
import { hostProbes } from '../doctor/host.js';
import { jobletReport, renderJobletReport } from '../doctor/joblet.js';
import { renderChecks } from '../doctor/render.js';
import { EXEC_CONFIG_FILE, EXEC_CONFIG_KEYS, jobLimits, readExecConfig } from '../runner/host-defaults.js';
import { idmapHelperPath } from '../runner/idmap.js';
import { parseFlags } from './args.js';
import type { Command } from './types.js';

const HELP = `Usage: jrt doctor [--joblet]

Check what jrt needs on this host: root, user/mount/pid/net namespaces, overlayfs, cgroup
controllers (v2, v1 or a hybrid of both: it says which will be used), on cgroup v2 under systemd
whether jrt's cgroup is delegated and where job cgroups go, bubblewrap and mmdebstrap,
free disk under the runtimes root and the cache, whether a filesystem of jrt's is fuller than
usage_warn (/etc/jrt/gc.conf, default 90%) and then what 'jrt gc' would free, and whether the Debian mirror and the npm
registry of this host's configuration answer. Each failing check says how to fix it.

With --joblet, instead: resolve every documented spec (node:18, java:17, java:21, python:3.11+ml,
python:3.11, python:3.13) and every installed runtime's name twice over the runtimes root, by the
rules of the real Joblet (exact language and version, no tags, first match in directory order,
jrt's spec directories found by name first; see docs/joblet.md) and by jrt exec's, and report each
spec they resolve differently, each spec whose environment Joblet's server would not read from the
runtime's runtime.yml (<base>/<spec>/runtime.yml), and each set of runtimes Joblet cannot tell
apart, with what to do.

Flags:
  --joblet   compare Joblet's resolution with jrt's (no host checks)
  --json     {ok, checks: [{id, ok, level, message, fix}]} on stdout; with --joblet
             {ok, root, specs: [{spec, jrt, joblet, same, environment, problem, fix}], clashes: [{language, version, names, message}], orphans: [path]}

Exit status: 0 when no error-level check fails (warnings allowed), 1 otherwise. With --joblet:
0 when Joblet and jrt agree on every spec and nothing clashes, 1 otherwise.

Examples:
  jrt doctor
  jrt doctor --json | jq '.checks[] | select(.ok | not)'
  jrt doctor --joblet
  JRT_ROOT=/srv/runtimes jrt doctor`;

export const doctorCommand: Command = {
  help: HELP,
  async run(argv, ctx) {
    const { values } = parseFlags('doctor', argv, { joblet: { type: 'boolean' } }, false);
    if (values.joblet) {
      const report = await jobletReport(ctx.paths.root);
      emit(ctx, report, () => renderJobletReport(report));
      return report.ok ? EXIT.ok : EXIT.failure;
    }
    const checks = await runChecks(hostProbes(ctx.env), {
      root: ctx.paths.root,
      cache: ctx.paths.cache,
      state: ctx.paths.state,
      idmapHelper: idmapHelperPath(),
      usernsHelper: usernsHelperPath(),
      cgroupParent: ctx.env.JRT_CGROUP_PARENT || undefined,
      execConfig: execConfigState(ctx.env),
      execCodeCache: execCodeCacheState(),
      diskUsage: await diskUsageState(ctx.paths, ctx.env),
    });
    const ok = doctorOk(checks);
    emit(ctx, { ok, checks }, () => renderChecks(checks));
    return ok ? EXIT.ok : EXIT.failure;
  },
};

/** The exec bundle compiled as the launcher compiles it (src/bin.ts), without running it. */
function execCodeCacheState(): DoctorOptions['execCodeCache'] {
  const file = fileURLToPath(new URL('./jrt-exec.cjs', import.meta.url));
  try {
    return { file, state: compileExecBundle(file).cache };
  } catch (e) {
    return { file, error: (e as Error).message };
  }
}

/** The host's exec.conf, read and every value checked as a job's start would. */
function execConfigState(env: NodeJS.ProcessEnv): DoctorOptions['execConfig'] {
  const file = env.JRT_EXEC_CONFIG || EXEC_CONFIG_FILE;
  try {
    const defaults = readExecConfig(env);
    jobLimits({}, defaults, availableParallelism());
    if (!existsSync(file)) return { file };
    const settings = EXEC_CONFIG_KEYS.flatMap((k) => (defaults[k] ? [`${k} ${defaults[k].value}`] : []));
    return { file, settings: settings.join(', ') };
  } catch (e) {
    return { file, error: (e as Error).message };
  }
}
