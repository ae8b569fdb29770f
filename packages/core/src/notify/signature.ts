import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header that carries a webhook's signature: `t=<unix seconds>,v1=<hex>`. */
export const SIGNATURE_HEADER = 'X-Sprint-Signature';

/**
 * `X-Sprint-Signature` for `body`: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
 * Signing the timestamp with the body lets a receiver refuse replays.
 */
export function signBody(body: string, secret: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * Checks a received `X-Sprint-Signature` against the raw body, in constant
 * time, and that its timestamp is within `toleranceSeconds` (default 300) of
 * `nowSeconds`. For receivers written in TypeScript; the README shows the same
 * check in a few lines for others.
 *
 * @example
 * ```ts
 * if (!verifySignature(req.headers['x-sprint-signature'], rawBody, process.env.SECRET!)) {
 *   res.writeHead(401).end();
 * }
 * ```
 */
export function verifySignature(
  header: string | undefined,
  body: string,
  secret: string,
  options: { nowSeconds?: number; toleranceSeconds?: number } = {},
): boolean {
  if (!header) return false;
  const parts = new Map<string, string[]>();
  for (const item of header.split(',')) {
    const eq = item.indexOf('=');
    if (eq <= 0) continue;
    const key = item.slice(0, eq).trim();
    parts.set(key, [...(parts.get(key) ?? []), item.slice(eq + 1).trim()]);
  }
  const t = Number(parts.get('t')?.[0]);
  if (!Number.isInteger(t)) return false;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signBody(body, secret, t).split('v1=')[1]!, 'hex');
  return (parts.get('v1') ?? []).some((v) => {
    const given = Buffer.from(v, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
