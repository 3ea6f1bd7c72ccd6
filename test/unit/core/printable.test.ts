import { describe, expect, it } from 'vitest';
import { printableEvents } from '../../../src/commands/progress-view.js';
import { printable, printableLines } from '../../../src/core/printable.js';
import type { ProgressEvent } from '../../../src/core/progress.js';

describe('printable', () => {
  it.each([
    ['plain text', 'java-17 (java 17.0.2)', 'java-17 (java 17.0.2)'],
    ['an OSC title and a clear screen', 'a\x1b]0;pwned\x07\x1b[2J', 'a\\x1b]0;pwned\\x07\\x1b[2J'],
    ['a newline and a carriage return', 'a\nb\rc', 'a\\x0ab\\x0dc'],
    ['C1 controls (8-bit CSI)', 'a\u009b2J', 'a\\x9b2J'],
    ['bidirectional overrides', 'evil\u202etxt.sh\u2066x\u2069', 'evil\\u202etxt.sh\\u2066x\\u2069'],
    ['line and paragraph separators', 'a\u2028b\u2029', 'a\\u2028b\\u2029'],
    ['other Unicode', 'naïve — ✓', 'naïve — ✓'],
  ])('%s', (_what, input, output) => {
    expect(printable(input)).toBe(output);
  });

  it('printableLines keeps newlines and escapes the rest of each line', () => {
    expect(printableLines('one\x1b[31m\ntwo\r\n')).toBe('one\\x1b[31m\ntwo\\x0d\n');
  });
});

describe('printableEvents', () => {
  it('escapes the task, phase, message and error of every progress event before a view sees it', () => {
    const seen: ProgressEvent[] = [];
    const on = printableEvents((e) => seen.push(e));
    on({ type: 'info', task: 'evil\x1b[2J', message: 'stripped\x07' });
    on({ type: 'phase-fail', task: 't', phase: 'build\x1b]0;x\x07', ms: 1, error: 'one\x1b[31m\ntwo' });
    expect(seen).toEqual([
      { type: 'info', task: 'evil\\x1b[2J', message: 'stripped\\x07' },
      { type: 'phase-fail', task: 't', phase: 'build\\x1b]0;x\\x07', ms: 1, error: 'one\\x1b[31m\ntwo' },
    ]);
  });
});
