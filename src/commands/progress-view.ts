import type { CommandContext } from '../core/context.js';
import { lineProgress, type OnProgress, silentProgress } from '../core/progress.js';

/**
 * How progress is shown: nothing with --json (stdout is for the document, stderr stays quiet),
 * otherwise timestamped lines on stderr (readable in CI logs and on a terminal alike).
 */
export function progressFor(ctx: CommandContext): OnProgress {
  return ctx.json ? silentProgress : lineProgress(ctx.stderr);
}
