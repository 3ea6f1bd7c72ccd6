/**
 * How the job gets its host directories: each is open in jrt (an O_PATH descriptor), handed to
 * native/jrt-idmap, which mounts it idmapped — its owner appears as the job's uid, and what the job
 * creates belongs to that owner — in a private mount namespace, and leaves a descriptor on that
 * mount for bwrap's --bind-fd. Pure: descriptor numbering and the helper's argv.
 */
import { fileURLToPath } from 'node:url';

/** The first descriptor number of the child past bwrap's own (3 status, 4 control, 5 resolv.conf, 6 seccomp, 7 options). */
export const FIRST_JOB_FD = 8;

export interface HostDirMapping {
  /** jrt's descriptor on the directory. */
  fd: number;
  /** The directory's owner on the host. */
  owner: { uid: number; gid: number };
  readonly?: boolean;
}

export interface IdmapPlan {
  /** Child descriptor → jrt's descriptor, for spawn's stdio. */
  inherit: Map<number, number>;
  /** The descriptor the sandbox binds, per mapping, in order. */
  bindFds: number[];
  /** The helper's arguments (the mount dir, the user it becomes, the mappings), before `--` and the command. */
  args: string[];
}

/** The helper next to the bundle (dist/jrt-idmap), built by ci/bundle.mjs from native/jrt-idmap.c. */
export function idmapHelperPath(): string {
  return fileURLToPath(new URL('./jrt-idmap', import.meta.url));
}

/**
 * Number the descriptors from `first`: each mapping's source, then the mount the helper leaves.
 * `mountDir` is an existing directory, covered by a private tmpfs in the helper's namespace.
 */
export function planIdmap(
  mappings: HostDirMapping[],
  to: { uid: number; gid: number },
  mountDir: string,
  first = FIRST_JOB_FD,
): IdmapPlan {
  const inherit = new Map<number, number>();
  const bindFds: number[] = [];
  const args = [mountDir, `${to.uid}:${to.gid}`];
  mappings.forEach((m, i) => {
    const src = first + i;
    const out = first + mappings.length + i;
    inherit.set(src, m.fd);
    bindFds.push(out);
    const spec = [src, m.owner.uid, m.owner.gid, to.uid, to.gid, out].join(':');
    args.push(m.readonly ? `${spec}:ro` : spec);
  });
  return { inherit, bindFds, args };
}

/**
 * Give the prepared job its descriptor numbers: job files (copied in by bwrap) from FIRST_JOB_FD,
 * then the directories (the working directory first, then volumes) through the helper, and the
 * helper the job's /etc files to write, when it has them.
 */
export function attachJobFds<
  J extends {
    workdirFd?: number;
    volumes: { target: string; fd?: number }[];
    files: { target: string; fd?: number }[];
    etcFiles?: Record<string, string>;
    etcDir?: string;
  },
>(
  job: J,
  dirs: HostDirMapping[],
  files: number[],
  to: { uid: number; gid: number },
  mountDir: string,
): { job: J; inherit: Map<number, number>; helperArgs: string[] } {
  const plan = planIdmap(dirs, to, mountDir, FIRST_JOB_FD + files.length);
  const inherit = new Map(plan.inherit);
  for (const [i, fd] of files.entries()) inherit.set(FIRST_JOB_FD + i, fd);
  const [workdirFd, ...volumeFds] = plan.bindFds;
  return {
    job: {
      ...job,
      workdirFd,
      volumes: job.volumes.map((v, i) => ({ ...v, fd: volumeFds[i] })),
      files: job.files.map((f, i) => ({ ...f, fd: FIRST_JOB_FD + i })),
      ...(job.etcFiles ? { etcDir: mountDir } : {}),
    },
    inherit,
    // The helper writes the job's /etc files into its private tmpfs at mountDir: in memory, no file
    // of jrt's to create and remove (3.5 ms for two on this ext4 with discard, against 0.2 on tmpfs).
    helperArgs: [
      ...Object.entries(job.etcFiles ?? {}).flatMap(([name, text]) => ['--write', name, text]),
      ...plan.args,
    ],
  };
}
