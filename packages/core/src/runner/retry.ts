import type { AgentError } from '../model/agent-result.js';
import type { RetryPolicy } from '../model/sprint.js';

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, delayMs: 1000, backoff: 2 };

/** Backoff for rate limits and overloads, which do not count as attempts. */
export const RATE_LIMIT_BACKOFF = { firstMs: 15_000, maxMs: 15 * 60_000, maxWaits: 12 } as const;

/** Delay before the next counted attempt: `delayMs * backoff^(failures-1)`. */
export function retryDelay(policy: RetryPolicy, failures: number): number {
  return Math.round(policy.delayMs * policy.backoff ** Math.max(0, failures - 1));
}

/**
 * How long to wait after a rate limit: until the reset time the provider
 * named, else the suggested wait, else exponential backoff.
 */
export function rateLimitDelay(
  error: AgentError | undefined,
  waits: number,
  now = Date.now(),
): number {
  // A timer cannot wait longer than ~24.8 days; a reset further away waits in steps.
  const cap = 2 ** 31 - 1;
  if (error?.resetAt) {
    const until = Date.parse(error.resetAt) - now;
    if (Number.isFinite(until) && until > 0) return Math.min(until, cap);
  }
  if (error?.retryAfterMs !== undefined) return Math.min(error.retryAfterMs, cap);
  return Math.min(
    RATE_LIMIT_BACKOFF.maxMs,
    RATE_LIMIT_BACKOFF.firstMs * 2 ** Math.max(0, waits - 1),
  );
}
