/**
 * Progress leaves the core through a callback, never a UI import. The CLI decides how to show it
 * (listr2 on a TTY, timestamped lines in CI or when piped, nothing with --json).
 */
export type ProgressEvent =
  | { type: 'phase-start'; task: string; phase: string }
  | { type: 'phase-end'; task: string; phase: string; ms: number }
  | { type: 'phase-fail'; task: string; phase: string; ms: number; error: string }
  | { type: 'info'; task: string; message: string }
  | { type: 'warn'; task: string; message: string };

export type OnProgress = (event: ProgressEvent) => void;

export const silentProgress: OnProgress = () => {};

/** Run `fn` as a named phase of `task`, reporting its start, end and duration. */
export async function phase<T>(
  onProgress: OnProgress,
  task: string,
  name: string,
  fn: () => Promise<T>,
): Promise<T> {
  const started = performance.now();
  onProgress({ type: 'phase-start', task, phase: name });
  try {
    const value = await fn();
    onProgress({ type: 'phase-end', task, phase: name, ms: performance.now() - started });
    return value;
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    onProgress({ type: 'phase-fail', task, phase: name, ms: performance.now() - started, error });
    throw e;
  }
}

/** Plain, timestamped lines: the renderer for CI and pipes. */
export function lineProgress(write: (line: string) => void): OnProgress {
  return (e) => {
    const ts = new Date().toISOString().slice(11, 19);
    switch (e.type) {
      case 'phase-start':
        write(`${ts} ${e.task}: ${e.phase} ...`);
        break;
      case 'phase-end':
        write(`${ts} ${e.task}: ${e.phase} done in ${formatMs(e.ms)}`);
        break;
      case 'phase-fail':
        write(`${ts} ${e.task}: ${e.phase} FAILED after ${formatMs(e.ms)}`);
        break;
      case 'info':
        write(`${ts} ${e.task}: ${e.message}`);
        break;
      case 'warn':
        write(`${ts} ${e.task}: warning: ${e.message}`);
        break;
    }
  };
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
