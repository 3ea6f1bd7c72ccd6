import { closeSync, constants as fsConstants, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { EXIT, isJrtError, JrtError, usageError } from '../core/errors.js';
import { parseAllowNet } from '../runner/egress.js';
import { type ExecDefaults, jobLimits, readExecConfig } from '../runner/host-defaults.js';
import { isNetworkMode, NETWORK_MODES } from '../runner/network-modes.js';
import { parseRuntimeSpec } from '../runner/resolve.js';
import { type ExecRequest, runJob } from '../runner/run-job.js';
import { parseFlags } from './args.js';
import type { Command } from './types.js';

const HELP = `Usage: jrt exec [--runtime=SPEC] [flags] FILE [ARGS...]
       jrt exec [--runtime=SPEC] [flags] -- COMMAND [ARGS...]

Run a job isolated inside an installed runtime (or, without --runtime, on the host's
/usr, /bin, /lib, /lib64 and /etc, read-only — same isolation). FILE runs through the
runtime's entrypoint for its extension (.java → java, .py → python3, .js → node).

Flags:
  --runtime SPEC        python:3.11+ml, java:17, node:18 (newest 18.x), python-3.11-ml, NAME@VERSION
  --workdir DIR         host directory mounted read-write at /work (default: current directory);
                        named without symlinks; not /, a system tree or jrt's own directories
  --volume NAME:/PATH   persistent named volume (JRT_STATE/volumes/NAME), read-write (repeatable)
  --env K=V | K         set a variable in the job (repeatable); K alone takes its value from jrt's
                        own environment, so the value is on no command line; nothing else of the
                        caller's is passed
  --env-from FILE       NAME=VALUE lines (# comments, blank lines) to set in the job (repeatable)
  --package-cache       mount the runtime's package_manager.cache_volume at /cache
  --network MODE        none (default: loopback only), host, web (outbound through slirp4netns;
                        refused: the host's own addresses, loopback, link-local and cloud
                        metadata 169.254.169.254, RFC 1918, CGNAT, ULA; see docs/exec.md)
  --allow-net CIDR|HOST[:PORT]
                        with --network=web, open an exception to those refusals, e.g.
                        10.1.2.0/24, 10.1.2.3:5432, [fd00::1]:443, db.internal:5432
                        (a name is resolved once, at the job's start) (repeatable)
  --user UID[:GID]      run as this host user (default: a uid of the job's own; never 0)
  --memory SIZE         memory limit, 1m to 1024t, or unlimited (default: exec.conf's, else the
                        runtime's recommended_memory, else 1g); also the size of the job's /tmp
                        and /dev/shm, whose pages count against it
  --pids N              process limit, 1 to 4194304, or unlimited (default: exec.conf's, else 1024)
  --cpus N              CPU quota, e.g. 1.5            --cpuset LIST  CPUs, e.g. 0-1
  --timeout DURATION    kill the job after e.g. 30s, 5m, 2h (at most 720h); holds even while
                        jrt itself is stopped
  --json                after the job, print its record as one JSON line on stdout

The host's defaults: /etc/jrt/exec.conf (or JRT_EXEC_CONFIG) may set memory, pids, cpus and
timeout for every job, as 'key = value' lines; the flags override it. It must be owned by root
and writable by nobody else (docs/exec.md, Limits).

Examples:
  jrt exec --runtime=java:17 Main.java
  jrt exec --runtime=python:3.11+ml --memory 2g --timeout 10m train.py --epochs 3
  jrt exec --runtime=node:18 --network=web -- node -e 'fetch("https://example.org")'
  jrt exec --network=web --allow-net 10.1.2.3:5432 -- python3 load.py
  jrt exec --volume data:/data -- sh -c 'ls /data'

Exit status: the job's own; 124 timeout, 137 out of memory (or SIGKILL), 125 jrt failed,
126 not executable, 127 not found, 128+N killed by signal N, 2 bad usage.`;

const FLAGS = {
  runtime: { type: 'string' },
  workdir: { type: 'string' },
  volume: { type: 'string', multiple: true },
  env: { type: 'string', multiple: true },
  'env-from': { type: 'string', multiple: true },
  'package-cache': { type: 'boolean' },
  network: { type: 'string' },
  'allow-net': { type: 'string', multiple: true },
  user: { type: 'string' },
  memory: { type: 'string' },
  cpus: { type: 'string' },
  cpuset: { type: 'string' },
  pids: { type: 'string' },
  timeout: { type: 'string' },
} as const;

/** Flags, then the job: FILE ARGS... or -- COMMAND ARGS... . Pure apart from the cwd and CPU count. */
export interface ExecIo {
  /** jrt's own environment (`--env NAME`). */
  env: NodeJS.ProcessEnv;
  /** An --env-from's text; throws a usage error when it cannot be read. */
  readFile: (file: string) => string;
  /** The host's defaults (/etc/jrt/exec.conf: src/runner/host-defaults.ts), below the flags. */
  defaults?: ExecDefaults;
}

const NO_IO: ExecIo = {
  env: {},
  readFile: (file) => {
    throw usageError('ERR_JRT_BAD_ENV', `--env-from ${file}: cannot be read here`);
  },
};

/** `NAME=VALUE` lines; `#` comments and blank lines skipped; no quoting (as docker's --env-from). */
export function parseEnvFile(file: string, text: string): Record<string, string> {
  const env: Record<string, string> = {};
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(line);
    if (!m) throw usageError('ERR_JRT_BAD_ENV', `--env-from ${file}:${i + 1}: expected NAME=VALUE`);
    env[m[1] as string] = m[2] as string;
  });
  return env;
}

export function parseExecArgs(
  argv: string[],
  cwd: string,
  cpus: number,
  pwd?: string,
  io: ExecIo = NO_IO,
): ExecRequest {
  const dash = argv.indexOf('--');
  const head = dash === -1 ? argv : argv.slice(0, dash);
  // Everything after the first positional belongs to the job file, not to jrt.
  const firstPositional = head.findIndex((a, i) => !a.startsWith('-') && !takesValue(head[i - 1]));
  const flagsPart = firstPositional === -1 ? head : head.slice(0, firstPositional);
  const { values: v } = parseFlags('exec', flagsPart, FLAGS, false);
  const fileArgs = firstPositional === -1 ? [] : head.slice(firstPositional);
  const command = dash === -1 ? [] : argv.slice(dash + 1);
  if (fileArgs.length > 0 && command.length > 0) {
    throw usageError('ERR_JRT_BAD_JOB', 'give either FILE [ARGS] or -- COMMAND [ARGS], not both');
  }
  if (fileArgs.length === 0 && command.length === 0) {
    throw usageError(
      'ERR_JRT_BAD_JOB',
      'nothing to run',
      "e.g. 'jrt exec --runtime=java:17 Main.java' or '-- CMD'",
    );
  }
  if (v.runtime !== undefined) parseRuntimeSpec(v.runtime);
  const network = v.network ?? 'none';
  if (!isNetworkMode(network)) {
    const modes = Object.keys(NETWORK_MODES).join(', ');
    throw usageError('ERR_JRT_BAD_NETWORK', `--network: '${v.network}' is not one of ${modes}`);
  }
  const allowNet = (v['allow-net'] ?? []).map(parseAllowNet);
  if (allowNet.length > 0 && !NETWORK_MODES[network].egressPolicy) {
    throw usageError(
      'ERR_JRT_BAD_ALLOW_NET',
      `--allow-net needs --network=web (this job has --network=${network})`,
      `--network=none reaches ${NETWORK_MODES.none.reaches}, --network=host ${NETWORK_MODES.host.reaches}`,
    );
  }
  let uid: number | undefined;
  let gid: number | undefined;
  if (v.user !== undefined) {
    const m = /^(\d{1,10})(?::(\d{1,10}))?$/.exec(v.user);
    uid = Number(m?.[1]);
    gid = m?.[2] === undefined ? uid : Number(m[2]);
    if (!m || !(uid > 0 && uid < 2 ** 32 - 1 && gid > 0 && gid < 2 ** 32 - 1)) {
      throw usageError(
        'ERR_JRT_BAD_USER',
        `--user: '${v.user}' must be UID or UID:GID, numbers from 1 to 4294967294`,
        'jobs never run as root (uid 0); without --user each job gets a uid of its own',
      );
    }
  }
  const env: Record<string, string> = {};
  for (const file of v['env-from'] ?? []) Object.assign(env, parseEnvFile(file, io.readFile(file)));
  for (const e of v.env ?? []) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/s.exec(e);
    if (!m) throw usageError('ERR_JRT_BAD_ENV', `--env: '${e}' must be NAME=VALUE or NAME`);
    const name = m[1] as string;
    const value = m[2] ?? io.env[name];
    if (value === undefined) {
      throw usageError('ERR_JRT_BAD_ENV', `--env ${name}: ${name} is not set in jrt's environment`);
    }
    env[name] = value;
  }
  const volumes = (v.volume ?? []).map((spec) => {
    const m = /^([A-Za-z0-9][A-Za-z0-9_.-]*):(\/.*)$/.exec(spec);
    if (!m || (m[2] as string).split('/').includes('..')) {
      throw usageError('ERR_JRT_BAD_VOLUME', `--volume: '${spec}' must be NAME:/absolute/path`);
    }
    // A directory name: longer ones fail in mkdir (ENAMETOOLONG) after the job was set up.
    if ((m[1] as string).length > MAX_VOLUME_NAME) {
      throw usageError(
        'ERR_JRT_BAD_VOLUME',
        `--volume: the name '${(m[1] as string).slice(0, 20)}...' is ${(m[1] as string).length} characters; at most ${MAX_VOLUME_NAME}`,
      );
    }
    return { name: m[1] as string, target: m[2] as string };
  });
  return {
    runtimeSpec: v.runtime,
    workdir: v.workdir,
    cwd,
    pwd,
    file: fileArgs[0],
    args: fileArgs.length > 0 ? fileArgs.slice(1) : command,
    env,
    volumes,
    packageCache: v['package-cache'] === true,
    network,
    allowNet,
    uid,
    gid,
    limits: jobLimits(v, io.defaults ?? {}, cpus),
  };
}

/** The most an --env-from may hold: variables, not data. */
const MAX_ENV_FILE_BYTES = 1024 * 1024;

/**
 * Not --env-file: Node 20 itself reads a `--env-file FILE` it finds among a script's arguments into
 * the process's environment (as root, following symlinks, blocking on a FIFO) before jrt runs.
 *
 * An --env-from file, read by root: it may lie where a job wrote (its working directory), so it is named
 * without symlinks, opened O_NOFOLLOW|O_NONBLOCK (a planted FIFO does not block), must be a regular
 * file, and is read only up to MAX_ENV_FILE_BYTES.
 */
function readEnvFile(file: string): string {
  const bad = (why: string) => usageError('ERR_JRT_BAD_ENV', `--env-from ${file}: ${why}`);
  const named = path.resolve(file);
  let real: string;
  try {
    real = realpathSync.native(named);
  } catch (e) {
    throw bad((e as Error).message);
  }
  if (real !== named) throw bad(`it is reached through a symbolic link (it is ${real})`);
  let fd: number;
  try {
    fd = openSync(real, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch (e) {
    throw bad((e as Error).message);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw bad('not a regular file');
    if (st.size > MAX_ENV_FILE_BYTES)
      throw bad(`${st.size} bytes, more than the ${MAX_ENV_FILE_BYTES} an env file may have`);
    const buf = Buffer.alloc(st.size);
    const n = readSync(fd, buf, 0, st.size, 0);
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

const MAX_VOLUME_NAME = 255;

function takesValue(flag: string | undefined): boolean {
  if (flag === undefined || !flag.startsWith('--') || flag.includes('=')) return false;
  const spec = FLAGS[flag.slice(2) as keyof typeof FLAGS];
  return spec !== undefined && spec.type === 'string';
}

export const execCommand: Command = {
  help: HELP,
  async run(argv, ctx) {
    const req = parseExecArgs(argv, process.cwd(), availableParallelism(), ctx.env.PWD, {
      env: ctx.env,
      readFile: readEnvFile,
      defaults: readExecConfig(ctx.env),
    });
    try {
      const result = await runJob(req, ctx.paths, ctx.env);
      if (result.message) ctx.stderr(result.message);
      if (ctx.json) ctx.stdout(JSON.stringify(result.record));
      return result.exitStatus;
    } catch (e) {
      // Past argument parsing, jrt's own failures use 125 so they never look like the job's status.
      if (isJrtError(e) && e.kind === 'failure' && e.exitCode === EXIT.failure) {
        throw new JrtError(e.code, e.message, { hint: e.hint, exitCode: EXIT.execFailed, cause: e });
      }
      throw e;
    }
  },
};
