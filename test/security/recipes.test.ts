/**
 * A CLI-level fuzz: 200 seeded, mutated recipe FILES through one `jrt recipe validate --json` call.
 * The validator's own 1,200-case fuzz (test/unit/recipe/fuzz.test.ts) drives validateRecipe();
 * this proves the command around it — file reading, byte-level damage, the set rules across files,
 * the JSON report — never crashes, never exits other than 0/2, and locates every error.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeJrtHome, runJrt } from '../helpers/jrt.js';
import { mutateData, mutateText, rng } from '../unit/recipe/mutate.js';

const GOOD = path.resolve(import.meta.dirname, '../fixtures/recipes/good');
const SEEDS = readdirSync(GOOD)
  .filter((f) => f.endsWith('.yml'))
  .sort()
  .map((f) => readFileSync(path.join(GOOD, f), 'utf8'));

/** Damage a file's bytes the way disks, editors and copy-paste do. */
function mutateBytes(r: () => number, text: string): Buffer {
  const buf = Buffer.from(text);
  const at = Math.floor(r() * buf.length);
  switch (Math.floor(r() * 5)) {
    case 0:
      return Buffer.concat([buf.subarray(0, at), Buffer.from([0xff, 0xfe, 0xc3]), buf.subarray(at)]);
    case 1:
      return Buffer.concat([buf.subarray(0, at), Buffer.from([0]), buf.subarray(at)]);
    case 2:
      return Buffer.from(`\ufeff${text.replaceAll('\n', '\r\n')}`);
    case 3:
      buf[at] = Math.floor(r() * 256);
      return buf;
    default:
      return Buffer.alloc(0);
  }
}

interface Report {
  files: {
    file: string;
    ok: boolean;
    errors: { file: string; line: number; column: number; path: string; message: string }[];
  }[];
}

describe('jrt recipe validate on 200 mutated recipe files at once', () => {
  it('exits 0 or 2, prints no stack, and every error names its file, a field path and a line in it', async () => {
    const { home, env } = await makeJrtHome({ prefix: 'jrt-sec-fuzz-' });
    const r = rng(0x736563);
    const files: { file: string; lines: number }[] = [];
    for (let n = 0; n < 200; n++) {
      const seed = SEEDS[n % SEEDS.length] as string;
      const roll = r();
      const body: Buffer | string =
        roll < 0.4 ? mutateData(r, seed) : roll < 0.8 ? mutateText(r, seed) : mutateBytes(r, seed);
      const file = path.join(home, `fuzz-${String(n).padStart(3, '0')}.yml`);
      writeFileSync(file, body);
      files.push({ file, lines: body.toString().split(/\r?\n/).length });
    }

    const res = await runJrt(['--json', 'recipe', 'validate', ...files.map((f) => f.file)], { env });
    expect([0, 2]).toContain(res.exitCode);
    expect(res.stderr).not.toMatch(/internal error|\n\s+at |RangeError|TypeError/);
    const report = JSON.parse(res.stdout) as Report;
    expect(report.files.map((f) => f.file)).toEqual(files.map((f) => f.file));

    let located = 0;
    for (const [i, f] of report.files.entries()) {
      const { lines } = files[i] as (typeof files)[number];
      expect(f.ok).toBe(f.errors.length === 0);
      for (const e of f.errors) {
        const where = `${f.file}: ${JSON.stringify(e)}`;
        expect(e.file, where).toBe(f.file);
        expect(e.path.length, where).toBeGreaterThan(0);
        expect(e.message.length, where).toBeGreaterThan(0);
        expect(Number.isInteger(e.line) && e.line >= 1 && e.line <= lines + 1, where).toBe(true);
        expect(Number.isInteger(e.column) && e.column >= 1, where).toBe(true);
        located++;
      }
    }
    // The mutations must break most files, or the fuzz proves nothing.
    expect(report.files.filter((f) => !f.ok).length).toBeGreaterThan(100);
    expect(located).toBeGreaterThan(100);
    expect(res.exitCode).toBe(2);
    rmSync(home, { recursive: true, force: true });
  });
});
