import { describe, expect, it } from 'vitest';
import {
  type AttemptEnd,
  DEFAULT_DELIVERY_POLICY,
  parseRetryAfter,
  type RetryDecision,
  retryDecision,
} from './retry-policy.js';

const policy = { ...DEFAULT_DELIVERY_POLICY, maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000 };

describe('retryDecision', () => {
  const table: [string, number, AttemptEnd, RetryDecision][] = [
    ['2xx is done', 1, { kind: 'status', status: 204 }, { action: 'done' }],
    [
      '500 retries after the base delay',
      1,
      { kind: 'status', status: 500 },
      { action: 'retry', delayMs: 100 },
    ],
    ['the delay doubles', 3, { kind: 'status', status: 503 }, { action: 'retry', delayMs: 400 }],
    [
      'no answer retries',
      2,
      { kind: 'error', message: 'ECONNREFUSED' },
      { action: 'retry', delayMs: 200 },
    ],
    [
      "429's Retry-After wins when longer, up to the cap",
      1,
      { kind: 'status', status: 429, retryAfterMs: 60_000 },
      { action: 'retry', delayMs: 1000 },
    ],
    ['408 retries', 1, { kind: 'status', status: 408 }, { action: 'retry', delayMs: 100 }],
    [
      '404 gives up at once',
      1,
      { kind: 'status', status: 404 },
      { action: 'give-up', why: 'HTTP 404 (not retried)' },
    ],
    [
      'a redirect gives up',
      1,
      { kind: 'status', status: 302 },
      { action: 'give-up', why: 'HTTP 302 (not retried)' },
    ],
    [
      'attempts used up',
      4,
      { kind: 'status', status: 500 },
      { action: 'give-up', why: 'HTTP 500 after 4 attempts' },
    ],
  ];
  it.each(table)('%s', (_name, attempt, end, expected) => {
    expect(retryDecision(attempt, end, policy)).toEqual(expected);
  });

  it('says "after 1 attempt" when one is all the policy allows', () => {
    expect(
      retryDecision(1, { kind: 'status', status: 500 }, { ...policy, maxAttempts: 1 }),
    ).toEqual({ action: 'give-up', why: 'HTTP 500 after 1 attempt' });
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('30')).toBe(30_000);
    expect(
      parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('2015-10-21T07:28:00Z')),
    ).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
