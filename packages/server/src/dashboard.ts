import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { webAssetsDir } from '@sprint/web';
import type { Context, Hono } from 'hono';
import { EncodedBody, sendEncoded } from './encoded-body.js';

/**
 * The dashboard's Content-Security-Policy: only this origin's own script,
 * style and connections; no inline code, no frames, no forms posting
 * elsewhere, nothing from another host (so it also works offline).
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  type: string;
  body: EncodedBody;
  /** Content-hashed files never change under their name. */
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const loaded = new Map<string, Map<string, Asset>>();

/** The built dashboard's files by URL path, read once per directory (a few small files). */
function assetsOf(dir: string): Map<string, Asset> {
  let assets = loaded.get(dir);
  if (assets) return assets;
  assets = new Map();
  const add = (urlPath: string, file: string, immutable: boolean) => {
    assets!.set(urlPath, {
      type: TYPES[extname(file)] ?? 'application/octet-stream',
      body: new EncodedBody(readFileSync(file)),
      immutable,
    });
  };
  add('/', join(dir, 'index.html'), false);
  for (const name of readdirSync(join(dir, 'assets'))) {
    add(`/assets/${name}`, join(dir, 'assets', name), true);
  }
  loaded.set(dir, assets);
  return assets;
}

/** Whether a path is one of the dashboard's public files (served without the token). */
export function isDashboardPath(path: string): boolean {
  return path === '/' || path.startsWith('/assets/');
}

/**
 * Serves the dashboard at `/` and its hashed files at `/assets/*`, without
 * the bearer token (they hold no data; every API call from the page sends
 * it). HTML is revalidated on each load; hashed assets are cached for a year.
 * Compressed when the client accepts it.
 */
export function mountDashboard(app: Hono, dir: string = webAssetsDir): void {
  const assets = assetsOf(dir);
  const serve = (c: Context, path: string) => {
    const asset = assets.get(path);
    if (!asset) return c.notFound();
    const headers: Record<string, string> = {
      'content-type': asset.type,
      'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-resource-policy': 'same-origin',
      ...(asset.immutable
        ? {}
        : { 'content-security-policy': DASHBOARD_CSP, 'x-frame-options': 'DENY' }),
    };
    return sendEncoded(c, asset.body, 200, headers);
  };
  app.get('/', (c) => serve(c, '/'));
  app.get('/assets/:name', (c) => serve(c, `/assets/${c.req.param('name')}`));
}
