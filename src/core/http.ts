/**
 * The one module that talks HTTP (undici). Downloads stream to a temp file next to their target,
 * are hashed on the way, retried on transient failures, and renamed into place only when whole.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { failure, JrtError } from './errors.js';

export interface DownloadResult {
  sha256: string;
  sha512: string;
  size: number;
}

export interface DownloadOptions {
  retries?: number;
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

/** Download `url` to `dest` atomically. A partial file never appears at `dest`. */
export async function downloadToFile(
  url: string,
  dest: string,
  opts: DownloadOptions = {},
): Promise<DownloadResult> {
  const { request, dispatcher } = await undici();
  const retries = opts.retries ?? 3;
  await mkdir(path.dirname(dest), { recursive: true });
  let lastError: unknown;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    const tmp = `${dest}.part-${process.pid}-${attempt}`;
    // How far this attempt got, so a connection closed early is reported as the truncation it is.
    const progress = { size: 0, total: undefined as number | undefined };
    try {
      const res = await request(url, { dispatcher: opts.dispatcher ?? dispatcher });
      if (res.statusCode !== 200) {
        await res.body.dump();
        const err = failure('ERR_JRT_HTTP_STATUS', `GET ${url} answered HTTP ${res.statusCode}`);
        if (!TRANSIENT.has(res.statusCode)) throw err;
        lastError = err;
        continue;
      }
      const total = Number(res.headers['content-length']) || undefined;
      progress.total = total;
      const sha256 = createHash('sha256');
      const sha512 = createHash('sha512');
      let size = 0;
      const tap = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          sha256.update(chunk);
          sha512.update(chunk);
          size += chunk.length;
          progress.size = size;
          opts.onBytes?.(size, total);
          cb(null, chunk);
        },
      });
      await pipeline(res.body, tap, createWriteStream(tmp, { mode: 0o644 }));
      if (total !== undefined && size !== total) {
        throw failure('ERR_JRT_TRUNCATED', `GET ${url}: received ${size} of ${total} bytes`);
      }
      await rename(tmp, dest);
      return { sha256: sha256.digest('hex'), sha512: sha512.digest('base64'), size };
    } catch (e) {
      await rm(tmp, { force: true });
      lastError =
        progress.total !== undefined && progress.size < progress.total && !(e instanceof JrtError)
          ? failure(
              'ERR_JRT_TRUNCATED',
              `GET ${url}: the connection closed after ${progress.size} of ${progress.total} bytes (${retries + 1} attempts)`,
              { cause: e },
            )
          : e;
      if (e instanceof Error && 'code' in e && e.code === 'ERR_JRT_HTTP_STATUS') throw e;
    }
  }
  if (lastError instanceof Error && 'code' in lastError && String(lastError.code).startsWith('ERR_JRT_'))
    throw lastError;
  throw failure(
    'ERR_JRT_DOWNLOAD',
    `GET ${url} failed after ${retries + 1} attempts: ${describe(lastError)}`,
    {
      hint: 'check the network and the mirror/registry in your apt and npm configuration (jrt doctor)',
      cause: lastError,
    },
  );
}

/** GET a JSON document. */
export async function fetchJson<T>(
  url: string,
  opts: { dispatcher?: import('undici').Dispatcher; headers?: Record<string, string> } = {},
): Promise<T> {
  const { request, dispatcher } = await undici();
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const res = await request(url, {
        headers: { accept: 'application/json', ...opts.headers },
        dispatcher: opts.dispatcher ?? dispatcher,
      });
      if (res.statusCode === 404) {
        await res.body.dump();
        throw failure('ERR_JRT_NOT_FOUND', `GET ${url}: not found (HTTP 404)`);
      }
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw failure('ERR_JRT_HTTP_STATUS', `GET ${url} answered HTTP ${res.statusCode}`);
      }
      return (await res.body.json()) as T;
    } catch (e) {
      lastError = e;
      if (e instanceof Error && 'code' in e && e.code === 'ERR_JRT_NOT_FOUND') throw e;
    }
  }
  if (lastError instanceof Error && 'code' in lastError && String(lastError.code).startsWith('ERR_JRT_'))
    throw lastError;
  throw failure('ERR_JRT_DOWNLOAD', `GET ${url} failed: ${describe(lastError)}`, { cause: lastError });
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
