import type { Check } from './checks.js';

/** The human check list: one line per check, the fix under each failing one, a summary. */
export function renderChecks(checks: Check[]): string {
  const width = Math.max(...checks.map((c) => c.id.length));
  const lines: string[] = [];
  for (const c of checks) {
    const mark = c.ok ? 'ok  ' : c.level === 'error' ? 'FAIL' : 'warn';
    lines.push(`${mark}  ${c.id.padEnd(width)}  ${c.message}`);
    if (!c.ok && c.fix) lines.push(`${' '.repeat(width + 8)}fix: ${c.fix}`);
  }
  const errors = checks.filter((c) => !c.ok && c.level === 'error').length;
  const warnings = checks.filter((c) => !c.ok && c.level === 'warn').length;
  lines.push(
    errors === 0
      ? `jrt doctor: ready${warnings > 0 ? ` (${warnings} warning${warnings > 1 ? 's' : ''})` : ''}`
      : `jrt doctor: ${errors} problem${errors > 1 ? 's' : ''} to fix${warnings > 0 ? `, ${warnings} warning${warnings > 1 ? 's' : ''}` : ''}`,
  );
  return lines.join('\n');
}
