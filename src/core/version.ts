declare const __JRT_VERSION__: string | undefined;

/** Injected by the bundler (ci/bundle.mjs); read from package.json when running from source. */
export const JRT_VERSION: string = typeof __JRT_VERSION__ === 'string' ? __JRT_VERSION__ : '0.0.0-dev';
