/**
 * Text from the host (directory names, versions, job names) and from artifacts and recipes (names,
 * descriptions, runtime.yml) is attacker-controlled: it can carry terminal escapes, a newline, or
 * bidirectional overrides that reorder what a reader sees. Everything jrt prints as human text or
 * writes into a comment goes through `printable`; JSON output escapes on its own.
 */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const n = c.charCodeAt(0);
    return n > 0xff ? `\\u${n.toString(16).padStart(4, '0')}` : `\\x${n.toString(16).padStart(2, '0')}`;
  });
}

/** `printable` for text of several lines (an error with a list, a runtime.yml): newlines are kept. */
export function printableLines(s: string): string {
  return s.split('\n').map(printable).join('\n');
}
