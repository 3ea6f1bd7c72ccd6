/**
 * Open files jrt inherited from whoever started it (a shell's extra descriptors, a supervisor's log
 * or socket) would be inherited in turn by everything jrt starts — bwrap passes descriptors through,
 * so a job could write to them. Closed at start: descriptors 0-2 stay, and so do those with
 * close-on-exec set, which no child gets anyway (all of Node's own are opened that way).
 */
import { closeSync, readdirSync, readFileSync } from 'node:fs';

const O_CLOEXEC = 0o2000000;

/** Close every descriptor above 2 that would survive an exec; returns their numbers. */
export function closeInheritedFds(procSelf = '/proc/self'): number[] {
  let entries: string[];
  try {
    entries = readdirSync(`${procSelf}/fd`);
  } catch {
    return []; // no /proc: nothing to learn, nothing to do
  }
  const ipc = Number(process.env.NODE_CHANNEL_FD ?? -1);
  const closed: number[] = [];
  for (const entry of entries) {
    const fd = Number(entry);
    if (!Number.isInteger(fd) || fd <= 2 || fd === ipc) continue;
    let info: string;
    try {
      info = readFileSync(`${procSelf}/fdinfo/${fd}`, 'utf8');
    } catch {
      continue; // gone meanwhile (the directory listing's own descriptor)
    }
    const flags = Number.parseInt(/^flags:\s*([0-7]+)/m.exec(info)?.[1] ?? '', 8);
    if (Number.isNaN(flags) || (flags & O_CLOEXEC) !== 0) continue;
    try {
      closeSync(fd);
      closed.push(fd);
    } catch {}
  }
  return closed;
}
