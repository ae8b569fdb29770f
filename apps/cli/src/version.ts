import pkg from '../package.json' with { type: 'json' };

/** The version of @sprint/cli, inlined from its package.json at build time. */
export const version: string = pkg.version;
