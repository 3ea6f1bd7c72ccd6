import { printable } from '../core/printable.js';

/**
 * Plain-text tables for human output: columns padded to their widest cell, two spaces apart. Cells
 * are made printable (names, versions, descriptions come from artifacts and the host).
 */
export function table(cells: string[][]): string {
  const rows = cells.map((r) => r.map(printable));
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
