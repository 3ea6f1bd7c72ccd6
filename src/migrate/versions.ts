/**
 * Versions as migration compares them, and the version files runtimes leave behind. Pure: text in,
 * data out. A version read from the host is attacker-controlled text, so only strings that look like
 * versions are kept.
 */
import semver from 'semver';

/** How a recipe relates to a host install of the same language. */
export type MatchKind = 'exact' | 'newer-patch' | 'same-series' | 'older-patch' | 'none';

const VERSION_TEXT = /^[0-9]+(\.[0-9]+){0,3}$/;

/** `3.11.2`, `17.0.15`, `20.20.2`; undefined for anything else (names, prose, control characters). */
export function cleanVersion(v: string | undefined): string | undefined {
  const t = v?.trim().replace(/^v/, '');
  return t !== undefined && VERSION_TEXT.test(t) ? t : undefined;
}

/**
 * The upstream version of a Debian package version: epoch, Debian revision and repack suffixes
 * dropped, and the build number of a JDK (`17.0.15+6-1~deb12u1` → `17.0.15`, `1:1.63.0+dfsg1-2` →
 * `1.63.0`, `20.20.2-1nodesource1+repack1` → `20.20.2`).
 */
export function upstreamOfDebian(debianVersion: string): string | undefined {
  const noEpoch = debianVersion.replace(/^[0-9]+:/, '');
  const dash = noEpoch.lastIndexOf('-');
  const upstream = dash > 0 ? noEpoch.slice(0, dash) : noEpoch;
  return cleanVersion(/^[0-9]+(\.[0-9]+)*/.exec(upstream)?.[0]);
}

/** The first `parts` numeric components: series(`3.11.2`, 2) = `3.11`. */
export function leading(version: string, parts: number): string {
  return version.split('.').slice(0, parts).join('.');
}

/** Numeric comparison (1.10 > 1.9) through semver, padding `17` to `17.0.0`. */
export function compareVersions(a: string, b: string): number {
  const pa = semver.coerce(a);
  const pb = semver.coerce(b);
  if (!pa || !pb) return a.localeCompare(b);
  return semver.compare(pa, pb);
}

/**
 * How a recipe providing `offered` (a full version, or only its series when that is all the recipe
 * says) relates to a host install of `host`, both in the same series.
 */
export function matchKind(host: string, offered: string, seriesParts: number): MatchKind {
  // Only the series is known on one side (a recipe that pins no version, a tree named `3.11`).
  if (offered.split('.').length <= seriesParts || host.split('.').length <= seriesParts) return 'same-series';
  const c = compareVersions(offered, host);
  return c === 0 ? 'exact' : c > 0 ? 'newer-patch' : 'older-patch';
}

// ---- version files ----

/** `#define PY_VERSION "3.11.7"` in CPython's include/pythonX.Y/patchlevel.h. */
export function pythonPatchlevel(text: string): string | undefined {
  return cleanVersion(/^#define\s+PY_VERSION\s+"([^"]+)"/m.exec(text)?.[1]?.replace(/[a-z+].*$/, ''));
}

/** `JAVA_VERSION="17.0.15"` in a JDK's `release` file (`"21"` for a .0.0 release). */
export function javaRelease(text: string): string | undefined {
  return cleanVersion(/^JAVA_VERSION="([^"]+)"/m.exec(text)?.[1]);
}

/** NODE_MAJOR/MINOR/PATCH_VERSION in include/node/node_version.h. */
export function nodeVersionHeader(text: string): string | undefined {
  const part = (n: string) =>
    new RegExp(`^#define\\s+NODE_${n}_VERSION\\s+([0-9]+)\\s*$`, 'm').exec(text)?.[1];
  const [a, b, c] = [part('MAJOR'), part('MINOR'), part('PATCH')];
  return a && b && c ? cleanVersion(`${a}.${b}.${c}`) : undefined;
}

/** The first line of a Go root's VERSION file: `go1.22.1`. */
export function goVersionFile(text: string): string | undefined {
  return cleanVersion(/^go([0-9][0-9.]*)/.exec(text.trim())?.[1]);
}

/** `[pkg.rustc]\nversion = "1.95.0 (59807616e 2026-04-14)"` in a rustup toolchain's channel manifest. */
export function rustcManifestVersion(text: string): string | undefined {
  return cleanVersion(/^\[pkg\.rustc\]\s*\nversion\s*=\s*"([0-9.]+)/m.exec(text)?.[1]);
}

/** A download with its sha256, as a version manager recorded it on the host. */
export interface KnownDownload {
  url: string;
  sha256: string;
}

/**
 * The main tarball of a pyenv (python-build) or goenv (go-build) definition:
 * `install_package "Python-3.10.13" "https://…/Python-3.10.13.tgz#<sha256>" …`. `.tgz`/`.tar.gz`
 * are preferred (the build root has no xz for a bare tar), and only https URLs are kept.
 */
export function definitionDownload(text: string, packagePrefix: string): KnownDownload | undefined {
  const found: KnownDownload[] = [];
  const re = /install_package\s+"([^"]+)"\s+"(https:\/\/[^"#\s]+)#([0-9a-f]{64})"/g;
  for (const m of text.matchAll(re))
    if (m[1]?.startsWith(packagePrefix)) found.push({ url: m[2] as string, sha256: m[3] as string });
  return found.find((d) => /\.(tgz|tar\.gz)$/.test(d.url)) ?? found[0];
}

/** `url`/`hash` of `[pkg.rust.target.<triple>]` in a rustup channel manifest. */
export function rustDistDownload(text: string, triple: string): KnownDownload | undefined {
  const header = `[pkg.rust.target.${triple}]`;
  const at = text.indexOf(header);
  if (at < 0) return undefined;
  const end = text.indexOf('\n[', at + header.length);
  const section = text.slice(at + header.length, end < 0 ? undefined : end);
  const url = /^url\s*=\s*"(https:\/\/[^"\s]+)"/m.exec(section)?.[1];
  const sha256 = /^hash\s*=\s*"([0-9a-f]{64})"/m.exec(section)?.[1];
  return url && sha256 ? { url, sha256 } : undefined;
}
