import { fileURLToPath } from 'node:url';

/**
 * The directory of the built dashboard: `index.html` and content-hashed
 * `assets/*.js|css`. @sprint/server serves it at `/`; nothing in it loads
 * from elsewhere (no CDN, fonts or remote scripts), so it works offline.
 */
export const webAssetsDir: string = fileURLToPath(new URL('./public/', import.meta.url));
