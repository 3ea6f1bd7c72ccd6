/**
 * Downloads from a hostile server on loopback: bodies past the size a lock states or the maximum,
 * a server that drips one byte at a time, one that stalls. Nothing but 127.0.0.1 is contacted.
 */
import { existsSync, readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, downloadLimits } from '../../../src/core/download-limits.js';
import { downloadToFile, fetchJson } from '../../../src/core/http.js';
import { tempDir } from '../../helpers/temp.js';

let url = '';
/** Bytes the server managed to hand to the socket, per path. */
const sent = new Map<string, number>();
const timers = new Set<NodeJS.Timeout>();
let close: () => Promise<void>;

function endless(req: IncomingMessage, res: ServerResponse, withLength: boolean) {
  if (withLength) res.setHeader('content-length', String(1 << 30));
  const chunk = Buffer.alloc(64 * 1024, 1);
  const pump = () => {
    while (!res.destroyed && res.write(chunk))
      sent.set(req.url ?? '', (sent.get(req.url ?? '') ?? 0) + chunk.length);
    if (!res.destroyed) res.once('drain', pump);
  };
  pump();
}

beforeAll(async () => {
  const server = createServer((req, res) => {
    switch (req.url) {
      case '/ten':
        return void res.end('0123456789');
      case '/endless':
        return endless(req, res, false);
      case '/announces-a-gigabyte':
        return endless(req, res, true);
      case '/drip': {
        // One byte every 300 ms, forever: never idle, never done.
        res.writeHead(200, { 'content-length': '1000' });
        const t = setInterval(() => res.write('x'), 300);
        timers.add(t);
        res.on('close', () => clearInterval(t));
        return;
      }
      case '/stall':
        res.writeHead(200, { 'content-length': '1000' });
        return void res.write('x');
      case '/json-bomb':
        res.setHeader('content-type', 'application/json');
        return endless(req, res, false);
      default:
        res.statusCode = 404;
        res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () =>
    new Promise<void>((resolve) => {
      for (const t of timers) clearInterval(t);
      server.closeAllConnections();
      server.close(() => resolve());
    });
});
afterAll(() => close());

async function download(p: string, opts: Parameters<typeof downloadToFile>[2] = {}) {
  const dir = await tempDir('jrt-http-');
  const dest = path.join(dir, 'blob');
  const r = await downloadToFile(`${url}${p}`, dest, { retries: 1, ...opts }).then(
    (ok) => ({ ok, error: undefined }),
    (error: { code: string; message: string }) => ({ ok: undefined, error }),
  );
  return { ...r, dir, dest };
}

describe('downloads are capped by size', () => {
  it('at the size a lock states: a body that goes on is cut as soon as it passes it', async () => {
    const r = await download('/endless', { size: 10 });
    expect(r.error?.code).toBe('ERR_JRT_DOWNLOAD_TOO_LARGE');
    expect(r.error?.message).toMatch(/sent more than 10 bytes, more than the 10 bytes the lock states/);
    // Loopback buffers hold a few MB; the server was stopped long before the gigabyte it offers.
    expect(sent.get('/endless') ?? 0).toBeLessThan(64 << 20);
    expect(readdirSync(r.dir)).toEqual([]);
  });

  it('a Content-Length above the cap is refused before the body is read', async () => {
    const r = await download('/announces-a-gigabyte', { size: 10 });
    expect(r.error?.code).toBe('ERR_JRT_DOWNLOAD_TOO_LARGE');
    expect(r.error?.message).toContain(`announces ${1 << 30} bytes`);
    expect(readdirSync(r.dir)).toEqual([]);
  });

  it('at the documented maximum when no size is known', async () => {
    const r = await download('/endless', { limits: { ...DEFAULT_LIMITS, maxBytes: 1 << 20 } });
    expect(r.error?.code).toBe('ERR_JRT_DOWNLOAD_TOO_LARGE');
    expect(r.error?.message).toContain(`more than the ${1 << 20} bytes allowed`);
  });

  it('the exact size passes', async () => {
    const r = await download('/ten', { size: 10 });
    expect(r.ok?.size).toBe(10);
    expect(existsSync(r.dest)).toBe(true);
  });

  it('a JSON document is capped too', async () => {
    const e = await fetchJson(`${url}/json-bomb`).catch((x: { code: string }) => x);
    expect(e).toMatchObject({ code: 'ERR_JRT_DOWNLOAD_TOO_LARGE' });
  });
});

describe('downloads end: an overall deadline and an idle timeout', () => {
  it('a server dripping a byte every 300 ms fails at the deadline, though it is never idle', async () => {
    const r = await download('/drip', { limits: { maxBytes: 1 << 20, deadlineMs: 2000, idleMs: 60_000 } });
    expect(r.error?.code).toBe('ERR_JRT_DOWNLOAD_TIMEOUT');
    expect(r.error?.message).toMatch(
      /^GET http:\/\/127\.0\.0\.1:\d+\/drip: not done within 2 s \(received \d+ of 1000 bytes\)$/,
    );
    expect(readdirSync(r.dir)).toEqual([]);
  });

  it('a server that stops sending fails at the idle timeout, after its retries', async () => {
    const r = await download('/stall', { limits: { maxBytes: 1 << 20, deadlineMs: 60_000, idleMs: 500 } });
    expect(r.error?.code).toBe('ERR_JRT_DOWNLOAD_TIMEOUT');
    expect(r.error?.message).toMatch(
      /\/stall: no data for 0\.5 s \(received 1 of 1000 bytes\) \(2 attempts\)$/,
    );
    expect(readdirSync(r.dir)).toEqual([]);
  });
});

describe('downloadLimits', () => {
  it('takes JRT_DOWNLOAD_* in seconds and bytes, defaults otherwise', () => {
    expect(downloadLimits({})).toEqual(DEFAULT_LIMITS);
    expect(
      downloadLimits({
        JRT_DOWNLOAD_TIMEOUT: '90',
        JRT_DOWNLOAD_IDLE_TIMEOUT: '5',
        JRT_DOWNLOAD_MAX_BYTES: '1000',
      }),
    ).toEqual({ deadlineMs: 90_000, idleMs: 5000, maxBytes: 1000 });
  });

  it.each(['0', '-1', '1.5', '10s', ' 10', 'x'])('refuses JRT_DOWNLOAD_TIMEOUT=%j as a usage error', (v) => {
    expect(() => downloadLimits({ JRT_DOWNLOAD_TIMEOUT: v })).toThrow(
      expect.objectContaining({ code: 'ERR_JRT_BAD_SETTING', exitCode: 2 }),
    );
  });
});
