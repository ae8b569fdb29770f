import { randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { MiddlewareHandler } from 'hono';
import { ApiError } from './problem.js';

/** A fresh random bearer token (32 bytes, base64url). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Whether a host name or address stays on this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

/**
 * Refuses every request without `Authorization: Bearer <token>` (401 with
 * `WWW-Authenticate`). The comparison takes the same time whatever the guess.
 */
export function bearerAuth(token: string): MiddlewareHandler {
  if (!token) throw new Error('bearerAuth needs a non-empty token');
  const expected = Buffer.from(token, 'utf8');
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    const given = Buffer.from(match?.[1] ?? '', 'utf8');
    const ok = given.length === expected.length && timingSafeEqual(given, expected);
    if (!ok) {
      throw new ApiError(
        401,
        'UNAUTHORIZED',
        match
          ? "The bearer token is not the server's token."
          : 'Send "Authorization: Bearer <token>" (the server\'s SPRINT_API_TOKEN, or the token it printed at start).',
      );
    }
    await next();
  };
}
