import { describe, expect, it } from 'vitest';
import { rateLimitOf } from './github-rate-limit.js';

const headers = (h: Record<string, string>) => new Headers(h);
const now = 1_700_000_000_000;

describe('rateLimitOf', () => {
  it.each([
    ['a 200 is no limit', 200, {}, undefined],
    ['a 403 without limit headers is a permission problem', 403, {}, undefined],
    ['a 404 is no limit', 404, { 'x-ratelimit-remaining': '0' }, undefined],
    ['secondary: retry-after seconds', 403, { 'retry-after': '30' }, 30_000],
    ['secondary on 429', 429, { 'retry-after': '5' }, 5_000],
    [
      'primary: remaining 0, wait until the reset and a second more',
      403,
      { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 120) },
      121_000,
    ],
    [
      'primary with remaining calls left is a permission problem',
      403,
      { 'x-ratelimit-remaining': '12', 'x-ratelimit-reset': String(now / 1000 + 120) },
      undefined,
    ],
    ['a bare 429: at least a minute', 429, {}, 60_000],
  ])('%s', (_name, status, h, waitMs) => {
    const verdict = rateLimitOf(status, headers(h), now);
    if (waitMs === undefined) expect(verdict).toEqual({ limited: false });
    else expect(verdict).toMatchObject({ limited: true, waitMs });
  });
});
