/**
 * The one module that talks HTTP (undici; a lint rule keeps it so). Downloads stream to a temp file
 * next to their target, are hashed on the way, retried on transient failures, and renamed into
 * place only when whole. A download server is attacker input: every body is capped (at the size a
 * lock states, or a maximum), and every request has an overall deadline as well as an idle timeout,
 * so neither an endless body nor one byte every few seconds can hold a build.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type DownloadLimits, downloadLimits } from './download-limits.js';
import { failure, JrtError } from './errors.js';
import { SRI_ALGORITHMS, type SriAlgorithm } from './integrity.js';

export interface DownloadResult {
  /** sha256 of the bytes, hex (the blob cache's key). */
  sha256: string;
  /** The digests SRI integrity strings carry, base64. */
  sri: Record<SriAlgorithm, string>;
  size: number;
}

export interface DownloadOptions {
  retries?: number;
  /** The exact size expected (from a lock): a longer body is refused as soon as it grows past it. */
  size?: number;
  limits?: DownloadLimits;
  onBytes?: (received: number, total: number | undefined) => void;
  /** For tests: an undici Dispatcher (e.g. MockAgent). */
  dispatcher?: import('undici').Dispatcher;
}

const TRANSIENT = new Set([408, 429, 500, 502, 503, 504]);

let defaultDispatcher: import('undici').Dispatcher | undefined;

/** Debian's CA store: certificates an operator added with update-ca-certificates are trusted too. */
export const SYSTEM_CA_FILE = '/etc/ssl/certs/ca-certificates.crt';

/**
 * undici with a dispatcher that follows redirects (mirrors and registries redirect to CDNs) and
 * trusts Node's roots plus the host's CA store, as apt and npm on the same host do.
 */
async function undici() {
  const u = await import('undici');
  if (!defaultDispatcher) {
    const { rootCertificates } = await import('node:tls');
    const { readFile } = await import('node:fs/promises');
    const system = await readFile(SYSTEM_CA_FILE, 'utf8').catch(() => undefined);
    const ca = system ? [...rootCertificates, system] : undefined;
    defaultDispatcher = new u.Agent(ca ? { connect: { ca } } : {}).compose(
      u.interceptors.redirect({ maxRedirections: 5 }),
    );
  }
  return { request: u.request, dispatcher: defaultDispatcher };
}

/** Why an attempt ended for good: no retry can help. */
class Final extends Error {
  constructor(readonly error: JrtError) {
    super(error.message);
  }
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/**
 * GET `url` with the deadline and idle timeout, hand a 200 answer's body to `consume`, and retry
 * what may pass (network errors, idle timeouts, 408/429/5xx). `consume` throws Final to stop.
 */
async function getWithRetries<T>(
  url: string,
  o: {
    retries: number;
    limits: DownloadLimits;
    dispatcher?: import('undici').Dispatcher;
    headers?: Record<string, string>;
    /** Where the bytes of this attempt stand, for the messages of a timeout. */
    progress: () => string;
    consume: (res: import('undici').Dispatcher.ResponseData, attempt: number) => Promise<T>;
    onError?: (e: unknown) => unknown;
  },
): Promise<T> {
  const { request, dispatcher } = await undici();
  const deadline = Date.now() + o.limits.deadlineMs;
  const timedOut = () =>
    failure(
      'ERR_JRT_DOWNLOAD_TIMEOUT',
      `GET ${url}: not done within ${seconds(o.limits.deadlineMs)}${o.progress()}`,
      { hint: 'a slow or stalling server; JRT_DOWNLOAD_TIMEOUT (seconds) sets the deadline' },
    );
  let lastError: unknown;
  for (let attempt = 0; attempt <= o.retries; attempt++) {
    if (attempt > 0) {
      const pause = 250 * 2 ** attempt;
      if (Date.now() + pause >= deadline) throw timedOut();
      await new Promise((r) => setTimeout(r, pause));
    }
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), Math.max(0, deadline - Date.now()));
    try {
      const res = await request(url, {
        dispatcher: o.dispatcher ?? dispatcher,
        signal: abort.signal,
        headersTimeout: o.limits.idleMs,
        bodyTimeout: o.limits.idleMs,
        headers: o.headers,
      });
      if (res.statusCode !== 200) {
        await res.body.dump().catch(() => {});
        const err =
          res.statusCode === 404
            ? failure('ERR_JRT_NOT_FOUND', `GET ${url}: not found (HTTP 404)`)
            : failure('ERR_JRT_HTTP_STATUS', `GET ${url} answered HTTP ${res.statusCode}`);
        if (!TRANSIENT.has(res.statusCode)) throw new Final(err);
        lastError = err;
        continue;
      }
      return await o.consume(res, attempt);
    } catch (e) {
      if (e instanceof Final) throw e.error;
      if (abort.signal.aborted) throw timedOut();
      const code = (e as { code?: string }).code;
      lastError =
        code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT'
          ? failure(
              'ERR_JRT_DOWNLOAD_TIMEOUT',
              `GET ${url}: no data for ${seconds(o.limits.idleMs)}${o.progress()} (${o.retries + 1} attempts)`,
              {
                hint: 'a stalling server; JRT_DOWNLOAD_IDLE_TIMEOUT (seconds) sets how long jrt waits for data',
              },
            )
          : o.onError
            ? o.onError(e)
            : e;
    } finally {
      clearTimeout(timer);
    }
  }
  if (lastError instanceof JrtError) throw lastError;
  throw failure(
    'ERR_JRT_DOWNLOAD',
    `GET ${url} failed after ${o.retries + 1} attempts: ${describe(lastError)}`,
    {
      hint: 'check the network and the mirror/registry in your apt and npm configuration (jrt doctor)',
      cause: lastError,
    },
  );
}

function tooLarge(url: string, what: string, max: number, expected: boolean): Final {
  return new Final(
    failure(
      'ERR_JRT_DOWNLOAD_TOO_LARGE',
      `GET ${url}: ${what}, more than the ${max} bytes ${expected ? 'the lock states' : 'allowed'}`,
      {
        hint: expected
          ? 'the server sends other bytes than were locked; nothing was kept'
          : 'JRT_DOWNLOAD_MAX_BYTES raises the limit for downloads of unknown size',
      },
    ),
  );
}

/** Download `url` to `dest` atomically. A partial file never appears at `dest`. */
export async function downloadToFile(
  url: string,
  dest: string,
  opts: DownloadOptions = {},
): Promise<DownloadResult> {
  const limits = opts.limits ?? downloadLimits();
  const max = opts.size ?? limits.maxBytes;
  const retries = opts.retries ?? 3;
  await mkdir(path.dirname(dest), { recursive: true });
  // How far the current attempt got, so a connection closed early is reported as the truncation it is.
  const progress = { size: 0, total: undefined as number | undefined, tmp: '' };
  try {
    return await getWithRetries(url, {
      retries,
      limits,
      dispatcher: opts.dispatcher,
      progress: () => ` (received ${progress.size}${progress.total ? ` of ${progress.total}` : ''} bytes)`,
      onError: (e) => {
        const cut =
          progress.total !== undefined && progress.size < progress.total && !(e instanceof JrtError);
        return cut
          ? failure(
              'ERR_JRT_TRUNCATED',
              `GET ${url}: the connection closed after ${progress.size} of ${progress.total} bytes (${retries + 1} attempts)`,
              { cause: e },
            )
          : e;
      },
      consume: async (res, attempt) => {
        if (progress.tmp) await rm(progress.tmp, { force: true });
        progress.tmp = `${dest}.part-${process.pid}-${attempt}`;
        progress.size = 0;
        const total = Number(res.headers['content-length']) || undefined;
        progress.total = total;
        if (total !== undefined && total > max) {
          discard(res.body);
          throw tooLarge(url, `announces ${total} bytes`, max, opts.size !== undefined);
        }
        const hashes = { hex: createHash('sha256'), ...sriHashes() };
        const tap = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            progress.size += chunk.length;
            if (progress.size > max)
              return cb(tooLarge(url, `sent more than ${max} bytes`, max, opts.size !== undefined));
            hashes.hex.update(chunk);
            for (const a of SRI_ALGORITHMS) hashes[a].update(chunk);
            opts.onBytes?.(progress.size, total);
            cb(null, chunk);
          },
        });
        // Opened before the pipeline: a stream that opens its file lazily may create it after a
        // failed attempt's clean-up ran (a partial left in the cache, seen under load).
        const file = await open(progress.tmp, 'wx', 0o644);
        await pipeline(res.body, tap, file.createWriteStream());
        if (total !== undefined && progress.size !== total)
          throw new Final(
            failure('ERR_JRT_TRUNCATED', `GET ${url}: received ${progress.size} of ${total} bytes`),
          );
        await rename(progress.tmp, dest);
        progress.tmp = '';
        const sri = Object.fromEntries(SRI_ALGORITHMS.map((a) => [a, hashes[a].digest('base64')]));
        return { sha256: hashes.hex.digest('hex'), sri: sri as DownloadResult['sri'], size: progress.size };
      },
    });
  } finally {
    if (progress.tmp) await rm(progress.tmp, { force: true });
  }
}

/** Stop reading a body jrt refuses; the abort it then reports is expected, not an error. */
function discard(body: import('undici').Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}

function sriHashes(): Record<SriAlgorithm, import('node:crypto').Hash> {
  return { sha512: createHash('sha512'), sha384: createHash('sha384'), sha256: createHash('sha256') };
}

/** Largest JSON document jrt reads (an npm version document is a few KB). */
const MAX_JSON_BYTES = 16 * 1024 * 1024;

/** GET a JSON document, capped at 16 MiB and bound by the same deadline and idle timeout. */
export async function fetchJson<T>(
  url: string,
  opts: {
    dispatcher?: import('undici').Dispatcher;
    headers?: Record<string, string>;
    limits?: DownloadLimits;
  } = {},
): Promise<T> {
  let received = 0;
  return getWithRetries(url, {
    retries: 2,
    limits: opts.limits ?? downloadLimits(),
    dispatcher: opts.dispatcher,
    headers: { accept: 'application/json', ...opts.headers },
    progress: () => ` (received ${received} bytes)`,
    consume: async (res) => {
      const parts: Buffer[] = [];
      received = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        received += chunk.length;
        if (received > MAX_JSON_BYTES) {
          discard(res.body);
          throw tooLarge(url, 'a JSON document', MAX_JSON_BYTES, false);
        }
        parts.push(chunk);
      }
      try {
        return JSON.parse(Buffer.concat(parts).toString('utf8')) as T;
      } catch (e) {
        throw new Final(failure('ERR_JRT_DOWNLOAD', `GET ${url}: not valid JSON (${(e as Error).message})`));
      }
    },
  });
}

/** Whether `url` answers at all within `timeoutMs` (any HTTP status counts as reachable). */
export async function probe(
  url: string,
  timeoutMs = 5000,
): Promise<{ ok: boolean; status?: number; error?: string; ms: number }> {
  const { request, dispatcher } = await undici();
  const started = performance.now();
  try {
    const res = await request(url, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs), dispatcher });
    await res.body.dump();
    return { ok: true, status: res.statusCode, ms: performance.now() - started };
  } catch (e) {
    return { ok: false, error: describe(e), ms: performance.now() - started };
  }
}

function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    return cause instanceof Error ? `${e.message} (${cause.message})` : e.message;
  }
  return String(e);
}
