/**
 * Progress on a terminal with listr2: one row per task (a recipe, a runtime), its phases beneath it
 * with their durations, a spinner on what is running. Loaded only when progress-view.ts chose it, so
 * commands that never show progress (jrt exec) never load listr2.
 *
 * listr2 runs the tasks it is given; jrt's progress arrives as events, and which tasks and phases
 * come is not known ahead. So every list ends in an untitled "slot" task — listr2 draws no row for an
 * untitled task and draws its subtasks at its own level — that waits for the next arrival and
 * replaces itself with the new row and a fresh slot.
 */
import { Listr, ListrLogger, type ListrTask, ProcessOutput } from 'listr2';
import { formatMs, type OnProgress, type ProgressEvent } from '../core/progress.js';
import type { ProgressView } from './progress-view.js';

/** Options of every nested list; each would otherwise register a SIGINT listener of its own. */
const SUBLIST = { concurrent: true, exitOnError: false, registerSignalListeners: false };

/** What arrives, in order, for one slot chain; `undefined` once the view is closed. */
class Arrivals<T> {
  private queue: T[] = [];
  private waiting: ((v: T | undefined) => void)[] = [];
  private closed = false;

  push(v: T): void {
    const w = this.waiting.shift();
    if (w) w(v);
    else this.queue.push(v);
  }

  next(): Promise<T | undefined> {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift());
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((r) => this.waiting.push(r));
  }

  close(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w(undefined);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: listr2's task types are generic over its renderers.
type Task = ListrTask<any, any, any>;

/** An untitled task that turns each arrival into a row (made by `row`), followed by a new slot. */
function slot<T>(arrivals: Arrivals<T>, row: (v: T) => Task): Task {
  return {
    task: async (_ctx, t) => {
      const v = await arrivals.next();
      if (v === undefined) return;
      return t.newListr([row(v), slot(arrivals, row)], SUBLIST);
    },
  };
}

interface OpenPhase {
  ended: Promise<void>;
  /** The phase's duration as the core measured it, once it ended. */
  ms?: number;
  end: (ms: number) => void;
  fail: (error: string, ms?: number) => void;
  setOutput?: (text: string) => void;
}

interface Group {
  phases: Arrivals<{ name: string; open: OpenPhase }>;
  running: OpenPhase[];
  /** The first phase that failed: the task's row is then marked failed too. */
  failed?: string;
}

function openPhase(): OpenPhase {
  const phase = {} as OpenPhase;
  phase.ended = new Promise<void>((resolve, reject) => {
    phase.end = (ms) => {
      phase.ms = ms;
      resolve();
    };
    phase.fail = (error, ms) => {
      phase.ms = ms;
      reject(new Error(error));
    };
  });
  // A phase that fails is reported by listr2; nothing else waits on this promise.
  phase.ended.catch(() => {});
  return phase;
}

/**
 * listr2 hides the cursor while it draws and shows it again only when it ends normally: a jrt ended by
 * SIGINT (the builder exits, or the signal kills it) would leave the terminal without a cursor. It
 * stays visible instead.
 */
class VisibleCursorOutput extends ProcessOutput {
  override hijack(): void {
    super.hijack();
    this.toStderr('\u001b[?25h', false);
  }
}

export function listrProgress(opts: { stream: NodeJS.WriteStream }): ProgressView {
  const groups = new Map<string, Group>();
  const newGroups = new Arrivals<{ name: string; group: Group }>();
  const open = new Map<string, OpenPhase>();
  const warnings: string[] = [];

  const phaseRow = ({ name, open: phase }: { name: string; open: OpenPhase }): Task => ({
    title: name,
    task: async (_ctx, t) => {
      phase.setOutput = (text) => {
        t.output = text;
      };
      try {
        await phase.ended;
      } finally {
        if (phase.ms !== undefined) t.title = `${name} (${formatMs(phase.ms)})`;
      }
    },
  });
  const groupRow = ({ name, group }: { name: string; group: Group }): Task => ({
    title: name,
    // The phases, then an untitled check that fails the task's row if one of them failed (a failed
    // phase alone does not fail its parent: the phases run with exitOnError off, like the tasks).
    task: (_ctx, t) =>
      t.newListr(
        [
          {
            task: (_c, p) => p.newListr([slot(group.phases, phaseRow)], SUBLIST),
          },
          {
            task: () => {
              // An empty message: the failed phase already shows the reason beneath it.
              if (group.failed) throw new Error('');
            },
          },
        ],
        { ...SUBLIST, concurrent: false, exitOnError: true },
      ),
  });

  const groupOf = (task: string): Group => {
    let g = groups.get(task);
    if (!g) {
      g = { phases: new Arrivals(), running: [] };
      groups.set(task, g);
      newGroups.push({ name: task, group: g });
    }
    return g;
  };

  const onProgress: OnProgress = (e: ProgressEvent) => {
    const key = (phase: string) => `${e.task}\u0000${phase}`;
    switch (e.type) {
      case 'phase-start': {
        const phase = openPhase();
        open.set(key(e.phase), phase);
        const g = groupOf(e.task);
        g.running.push(phase);
        g.phases.push({ name: e.phase, open: phase });
        break;
      }
      case 'phase-end':
      case 'phase-fail': {
        const phase = open.get(key(e.phase));
        if (!phase) break;
        open.delete(key(e.phase));
        const g = groupOf(e.task);
        g.running = g.running.filter((p) => p !== phase);
        if (e.type === 'phase-end') phase.end(e.ms);
        else {
          g.failed ??= e.phase;
          phase.fail(e.error, e.ms);
        }
        break;
      }
      case 'info':
      case 'warn': {
        const text = e.type === 'warn' ? `warning: ${e.message}` : e.message;
        if (e.type === 'warn') warnings.push(`${e.task}: ${text}`);
        groupOf(e.task).running.at(-1)?.setOutput?.(text);
        break;
      }
    }
  };

  const out = new VisibleCursorOutput(opts.stream, opts.stream);
  const root = new Listr([slot(newGroups, groupRow)], {
    concurrent: true,
    exitOnError: false,
    // jrt handles SIGINT itself; listr2's own handler would exit the process with status 127.
    registerSignalListeners: false,
    rendererOptions: {
      logger: new ListrLogger({ useIcons: true, processOutput: out }),
      collapseSubtasks: false,
      // A failed row keeps its title (and duration); the reason is printed beneath it.
      collapseErrors: false,
      showErrorMessage: true,
    },
  });
  const running = root.run().catch(() => {});

  return {
    onProgress,
    async close() {
      // Whatever is still open did not end by itself (the command threw past it).
      for (const phase of open.values()) phase.fail('interrupted');
      open.clear();
      newGroups.close();
      for (const g of groups.values()) g.phases.close();
      await running;
      for (const w of warnings) opts.stream.write(`${w}\n`);
    },
  };
}
