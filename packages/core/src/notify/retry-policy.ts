import { plural } from '../model/plural.js';
/** How a delivery is retried. */
export interface DeliveryPolicy {
  /** Attempts in all, the first included (default 5). */
  maxAttempts: number;
  /** The wait before the second attempt; it doubles after each failure (default 1 s). */
  baseDelayMs: number;
  /** No wait is longer than this, a receiver's Retry-After included (default 60 s). */
  maxDelayMs: number;
  /** One attempt's time limit (default 10 s): a receiver that hangs is given up on. */
  attemptTimeoutMs: number;
}

export const DEFAULT_DELIVERY_POLICY: Readonly<DeliveryPolicy> = Object.freeze({
  maxAttempts: 5,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  attemptTimeoutMs: 10_000,
});

/** How one attempt ended: an HTTP status, or no answer at all (network error, time limit). */
export type AttemptEnd =
  | { kind: 'status'; status: number; retryAfterMs?: number }
  | { kind: 'error'; message: string };

/** What to do after an attempt. */
export type RetryDecision =
  | { action: 'done' }
  | { action: 'retry'; delayMs: number }
  | { action: 'give-up'; why: string };

/**
 * After attempt `attempt` (1-based) ended as `end`: done on 2xx; retry with
 * exponential backoff on no answer, 408, 429 and 5xx (a 429's or 503's
 * Retry-After wins when it is longer, up to the cap); give up on any other
 * status (the request itself is wrong: retrying cannot help) or when the
 * attempts are used up. Pure.
 */
export function retryDecision(
  attempt: number,
  end: AttemptEnd,
  policy: DeliveryPolicy,
): RetryDecision {
  if (end.kind === 'status' && end.status >= 200 && end.status < 300) return { action: 'done' };
  const retryable =
    end.kind === 'error' || end.status === 408 || end.status === 429 || end.status >= 500;
  const what = end.kind === 'error' ? end.message : `HTTP ${end.status}`;
  if (!retryable) return { action: 'give-up', why: `${what} (not retried)` };
  if (attempt >= policy.maxAttempts) {
    return { action: 'give-up', why: `${what} after ${plural(attempt, 'attempt')}` };
  }
  const backoff = policy.baseDelayMs * 2 ** (attempt - 1);
  const asked = end.kind === 'status' ? (end.retryAfterMs ?? 0) : 0;
  return { action: 'retry', delayMs: Math.min(Math.max(backoff, asked), policy.maxDelayMs) };
}

/** A Retry-After header (seconds or an HTTP date) in ms from `now`, or undefined. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
