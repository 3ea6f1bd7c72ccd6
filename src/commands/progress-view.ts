import type { CommandContext } from '../core/context.js';
import { printable, printableLines } from '../core/printable.js';
import { lineProgress, type OnProgress, silentProgress } from '../core/progress.js';

export type ProgressRenderer = 'listr' | 'lines' | 'silent';

export interface RendererChoice {
  renderer: ProgressRenderer;
  color: boolean;
}

/**
 * How progress is shown. Pure. Nothing with --json (stdout is for the document, stderr stays quiet);
 * plain timestamped lines when stderr is not a terminal or CI is set (readable in logs); listr2 rows
 * with spinners and per-phase timings on a terminal. NO_COLOR only takes the colours away.
 */
export function chooseRenderer(o: {
  isTTY: boolean;
  ci: boolean;
  json: boolean;
  noColor: boolean;
}): RendererChoice {
  const renderer: ProgressRenderer = o.json ? 'silent' : !o.isTTY || o.ci ? 'lines' : 'listr';
  return { renderer, color: renderer === 'listr' && !o.noColor };
}

/** `CI` set to anything but an empty string, `0` or `false` (the convention of CI services and of listr2's is-ci). */
export function isCI(env: NodeJS.ProcessEnv): boolean {
  const v = env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** Progress for a command: the callback for the core, and `close`, to await before printing results. */
export interface ProgressView {
  onProgress: OnProgress;
  close(): Promise<void>;
}

/** Open the progress view `ctx` calls for. listr2 is imported only when it is the one chosen. */
export async function openProgress(
  ctx: CommandContext,
  stream: NodeJS.WriteStream = process.stderr,
): Promise<ProgressView> {
  const { renderer } = chooseRenderer({
    isTTY: stream.isTTY === true,
    ci: isCI(ctx.env),
    json: ctx.json,
    noColor: Boolean(ctx.env.NO_COLOR),
  });
  if (renderer === 'silent') return { onProgress: silentProgress, close: async () => {} };
  if (renderer === 'lines')
    return { onProgress: printableEvents(lineProgress(ctx.stderr)), close: async () => {} };
  // listr2 takes NO_COLOR from the environment itself.
  const { listrProgress } = await import('./listr-view.js');
  const view = await listrProgress({ stream });
  return { ...view, onProgress: printableEvents(view.onProgress) };
}

/**
 * Task names, phases and messages come from recipes, artifacts and the tools a build runs: each
 * reaches the terminal with its control characters escaped (core/printable.ts).
 */
export function printableEvents(next: OnProgress): OnProgress {
  return (e) => {
    const out = { ...e, task: printable(e.task) };
    if ('phase' in out) out.phase = printable(out.phase);
    if ('message' in out) out.message = printable(out.message);
    if ('error' in out) out.error = printableLines(out.error);
    next(out);
  };
}

/** Timestamped lines, or nothing with --json, never listr2: for commands with a line or two of progress (jrt lock). */
export function progressFor(ctx: CommandContext): OnProgress {
  return ctx.json ? silentProgress : printableEvents(lineProgress(ctx.stderr));
}
