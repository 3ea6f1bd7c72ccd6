/** The real DoctorProbes: this host's processes, files, disks and network. */
import { access, readFile } from 'node:fs/promises';
import { freeSpace } from '../core/disk.js';
import { hostDebianMirror, hostNpmRegistry } from '../core/host-sources.js';
import { probe } from '../core/http.js';
import { run, which } from '../core/proc.js';
import type { DoctorProbes } from './checks.js';

const RUN_TIMEOUT_MS = 5000;
const PROBE_TIMEOUT_MS = 3000;

export function hostProbes(env: NodeJS.ProcessEnv = process.env): DoctorProbes {
  return {
    uid: () => process.getuid?.() ?? -1,
    async run(file, args) {
      try {
        const r = await run(file, args, { reject: false, timeoutMs: RUN_TIMEOUT_MS });
        return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
      } catch (e) {
        return { error: e instanceof Error ? e.message : String(e) };
      }
    },
    async readText(file) {
      try {
        return await readFile(file, 'utf8');
      } catch {
        return undefined;
      }
    },
    exists: (file) =>
      access(file).then(
        () => true,
        () => false,
      ),
    which,
    // The root may not exist yet: measure the filesystem it will be created on.
    freeBytes: (dir) => freeSpace(dir).catch(() => undefined),
    debianMirror: () => hostDebianMirror(env),
    npmRegistry: () => hostNpmRegistry(env),
    probe: (url) => probe(url, PROBE_TIMEOUT_MS),
  };
}
