import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signBody, verifySignature } from './signature.js';

describe('webhook signatures', () => {
  const body = '{"version":1,"event":"completed"}';
  const now = 1_800_000_000;

  it('is HMAC-SHA256 over "<timestamp>.<body>", as the README tells receivers to check', () => {
    const expected = createHmac('sha256', 'k').update(`${now}.${body}`).digest('hex');
    expect(signBody(body, 'k', now)).toBe(`t=${now},v1=${expected}`);
  });

  it('verifies only the same body, key and a recent timestamp', () => {
    const header = signBody(body, 'k', now);
    expect(verifySignature(header, body, 'k', { nowSeconds: now + 10 })).toBe(true);
    expect(verifySignature(header, `${body} `, 'k', { nowSeconds: now })).toBe(false);
    expect(verifySignature(header, body, 'other', { nowSeconds: now })).toBe(false);
    expect(verifySignature(header, body, 'k', { nowSeconds: now + 301 })).toBe(false);
    expect(
      verifySignature(header.replace(`t=${now}`, `t=${now + 1}`), body, 'k', { nowSeconds: now }),
    ).toBe(false);
    expect(verifySignature(undefined, body, 'k')).toBe(false);
    expect(verifySignature('v1=abc', body, 'k', { nowSeconds: now })).toBe(false);
    expect(verifySignature(`t=${now},v1=zz`, body, 'k', { nowSeconds: now })).toBe(false);
  });
});
