/**
 * Errors are data. Every failure jrt reports on purpose is a JrtError with a stable code
 * (documented in docs/errors.md), an optional hint, and the exit status it maps to.
 * Anything that is not a JrtError is a bug and is printed with its stack.
 */

/** Exit statuses of jrt itself (see docs/cli.md). `jrt exec` passes the job's own status through. */
export const EXIT = {
  ok: 0,
  /** An operation failed (build step, download, verify found damage, ...). */
  failure: 1,
  /** The user asked for something invalid (bad flag, malformed recipe, unknown runtime). */
  usage: 2,
  /** `jrt exec`: jrt itself failed before or around the job. */
  execFailed: 125,
  /** `jrt exec`: the command exists but cannot be executed. */
  notExecutable: 126,
  /** `jrt exec`: the command was not found. */
  notFound: 127,
} as const;

export type ErrorKind = 'usage' | 'failure';

export class JrtError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly kind: ErrorKind;
  readonly exitCode: number;

  constructor(
    code: string,
    message: string,
    opts: { hint?: string; kind?: ErrorKind; exitCode?: number; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'JrtError';
    this.code = code;
    this.hint = opts.hint;
    this.kind = opts.kind ?? 'failure';
    this.exitCode = opts.exitCode ?? (this.kind === 'usage' ? EXIT.usage : EXIT.failure);
  }
}

/** A mistake in what the user asked for: message + hint, no stack, exit 2. */
export function usageError(code: string, message: string, hint?: string): JrtError {
  return new JrtError(code, message, hint === undefined ? { kind: 'usage' } : { kind: 'usage', hint });
}

/** An operation that could not be completed: exit 1. */
export function failure(
  code: string,
  message: string,
  opts: { hint?: string; cause?: unknown } = {},
): JrtError {
  return new JrtError(code, message, { ...opts, kind: 'failure' });
}

export function isJrtError(e: unknown): e is JrtError {
  return e instanceof JrtError;
}
