/**
 * The README's fault and attack table names, for each case, the test that proves it: every file it names must exist and
 * every test name it quotes must be in that file, so the table cannot drift from the suite.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/jrt.js';

describe("the README's fault and attack table", () => {
  it('names only test files that exist and test names that are in them', () => {
    const doc = readFileSync(path.join(REPO, 'README.md'), 'utf8');
    const rows = doc.split('\n').filter((l) => l.startsWith('| ') && l.includes('`test/'));
    expect(rows.length).toBeGreaterThan(25);
    let checked = 0;
    for (const row of rows) {
      const proof = row.split(' | ').at(-1) as string;
      // "`file` › describe › name; › name; `file2` › ..." — a bare "› name" continues the last file.
      let file = '';
      for (const part of proof.replace(/\s*\|\s*$/, '').split(/;\s*/)) {
        const m = /^`(test\/[^`]+)`/.exec(part);
        if (m) file = m[1] as string;
        expect(file, row).not.toBe('');
        const text = readFileSync(path.join(REPO, file), 'utf8');
        const name = (part.replace(/^› /, '').split(' › ').at(-1) as string).trim().replaceAll('\\|', '|');
        // Names built from a table (…, /) are checked by their fixed part only.
        const fixed = name.split(/…|\s\/\s/)[0]?.trim() ?? '';
        expect(existsSync(path.join(REPO, file)), file).toBe(true);
        if (fixed.length > 10) {
          expect(text.includes(fixed), `${file} has no test '${fixed}'`).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(30);
  });
});
