/** What a GitHub answer says about rate limits: none, or how long to wait. */
export type RateLimitVerdict =
  | { limited: false }
  | { limited: true; waitMs: number; resetAt: Date };

/**
 * Reads a GitHub answer for a rate limit (pure; `now` in ms). Primary limits
 * answer 403 or 429 with `x-ratelimit-remaining: 0` and the reset time in
 * epoch seconds; secondary limits answer 403 or 429 with `retry-after` in
 * seconds. A 403 with neither is a permission problem, not a limit.
 */
export function rateLimitOf(
  status: number,
  headers: { get(name: string): string | null },
  now: number,
): RateLimitVerdict {
  if (status !== 403 && status !== 429) return { limited: false };
  const retryAfter = headers.get('retry-after');
  if (retryAfter !== null && /^\d+$/.test(retryAfter.trim())) {
    const waitMs = Number(retryAfter) * 1000;
    return { limited: true, waitMs, resetAt: new Date(now + waitMs) };
  }
  const reset = headers.get('x-ratelimit-reset');
  if (headers.get('x-ratelimit-remaining') === '0' && reset !== null && /^\d+$/.test(reset)) {
    const resetAt = new Date(Number(reset) * 1000);
    return { limited: true, waitMs: Math.max(0, resetAt.getTime() - now) + 1000, resetAt };
  }
  // 429 without headers: GitHub's advice is to wait at least a minute.
  if (status === 429) return { limited: true, waitMs: 60_000, resetAt: new Date(now + 60_000) };
  return { limited: false };
}
