/**
 * Text from the host (directory names, versions, job names) is attacker-controlled: a user can name
 * a directory in their home with terminal escapes or a newline. Everything jrt prints as human text
 * or writes into a comment goes through `printable`; JSON output escapes on its own.
 */
export function printable(s: string): string {
  return s.replace(
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}
