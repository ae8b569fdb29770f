import {
  type AttemptEnd,
  type DeliveryPolicy,
  parseRetryAfter,
  retryDecision,
} from './retry-policy.js';

/** One POST to deliver, with the headers that depend on the attempt's time. */
export interface HttpDelivery {
  url: string;
  body: string;
  /** Headers for an attempt made at `unixSeconds` (a signature is made per attempt). */
  headers(unixSeconds: number): Record<string, string>;
}

/** How a delivery ended. */
export interface DeliveryOutcome {
  delivered: boolean;
  attempts: number;
  /** Why it was given up on, when it was. */
  error?: string;
}

/**
 * POSTs until the receiver answers 2xx, retrying per `policy`
 * ({@link retryDecision}). Never throws; aborting `signal` ends it at once.
 */
export async function deliverHttp(
  delivery: HttpDelivery,
  policy: DeliveryPolicy,
  signal: AbortSignal,
): Promise<DeliveryOutcome> {
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) return { delivered: false, attempts: attempt - 1, error: 'cancelled' };
    const end = await attemptOnce(delivery, policy.attemptTimeoutMs, signal);
    const next = retryDecision(attempt, end, policy);
    if (next.action === 'done') return { delivered: true, attempts: attempt };
    if (next.action === 'give-up') return { delivered: false, attempts: attempt, error: next.why };
    if (!(await sleep(next.delayMs, signal))) {
      return { delivered: false, attempts: attempt, error: 'cancelled' };
    }
  }
}

async function attemptOnce(
  delivery: HttpDelivery,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<AttemptEnd> {
  const limit = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(delivery.url, {
      method: 'POST',
      headers: delivery.headers(Math.floor(Date.now() / 1000)),
      body: delivery.body,
      signal: AbortSignal.any([signal, limit]),
      redirect: 'manual',
    });
    // The answer's body is not used; drop it so the connection is released.
    await res.body?.cancel().catch(() => undefined);
    return {
      kind: 'status',
      status: res.status,
      retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
    };
  } catch (error) {
    if (limit.aborted) return { kind: 'error', message: `no answer within ${timeoutMs} ms` };
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return {
      kind: 'error',
      message: cause?.code ?? cause?.message ?? (error as Error).message ?? String(error),
    };
  }
}

/** Waits `ms`; false when `signal` aborted first. The timer never outlives the wait. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
