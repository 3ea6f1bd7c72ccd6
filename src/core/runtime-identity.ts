/**
 * One source of truth for a runtime's identity. Joblet reads runtime.yml, so runtime.yml is the
 * truth; runtime.json is only a cache of it for `jrt exec` (no YAML parser on the hot path). The
 * installer derives runtime.json from the parsed runtime.yml (never keeps the artifact's) and stamps
 * it with the sha256 of the runtime.yml bytes it came from; the runner uses runtime.json only when
 * that stamp matches the runtime.yml beside it. Pure, and free of heavy imports (exec loads it).
 */

/** The key runtime.json carries on top of runtime.yml's content. */
export const YML_DIGEST_KEY = 'runtime_yml_sha256';

/** runtime.json's bytes for a parsed runtime.yml whose bytes hash to `ymlSha256`. */
export function deriveRuntimeJson(yml: object, ymlSha256: string): Buffer {
  return Buffer.from(`${JSON.stringify({ ...yml, [YML_DIGEST_KEY]: ymlSha256 }, null, 2)}\n`);
}

/**
 * The description a runtime.json holds when it was derived from runtime.yml bytes hashing to
 * `ymlSha256`; undefined when it was not (stale, edited, from 0.2.0 or an artifact): read the yml then.
 */
export function trustedRuntimeJson(json: unknown, ymlSha256: string): Record<string, unknown> | undefined {
  if (!isMapping(json) || json[YML_DIGEST_KEY] !== ymlSha256) return undefined;
  const { [YML_DIGEST_KEY]: _, ...rest } = json;
  return rest;
}

export function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export interface Difference {
  /** "language", "aliases[1]", "mounts[0].source"; "(the whole document)" at the top. */
  at: string;
  json: unknown;
  yml: unknown;
}

/**
 * Where runtime.json says something runtime.yml does not, and both values; undefined when they
 * agree. The digest stamp is ignored; key order does not matter, values must be equal.
 */
export function firstDifference(json: unknown, yml: unknown): Difference | undefined {
  if (!isMapping(json)) return differ(json, yml, '');
  const { [YML_DIGEST_KEY]: _, ...rest } = json;
  return differ(rest, yml, '');
}

function differ(a: unknown, b: unknown, at: string): Difference | undefined {
  const here = { at: at || '(the whole document)', json: a, yml: b };
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) return here;
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const d = differ(a[i], b[i], `${at}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (isMapping(a) || isMapping(b)) {
    if (!isMapping(a) || !isMapping(b)) return here;
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const d = differ(a[k], b[k], at ? `${at}.${k}` : k);
      if (d) return d;
    }
    return undefined;
  }
  return Object.is(a, b) ? undefined : here;
}
