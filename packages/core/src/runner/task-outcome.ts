import { type AgentError, type AgentResult, failureReaction } from '../model/agent-result.js';
import type { NewRunEvent } from '../model/events.js';
import { plural } from '../model/plural.js';
import type { RetryPolicy } from '../model/sprint.js';
import type { Attempt } from '../model/state.js';
import type { Halt, Interrupt } from './halt.js';
import { RATE_LIMIT_BACKOFF, rateLimitDelay, retryDelay } from './retry.js';
import type { Progress } from './run-options.js';

/** What happens to a task next, as progress listeners see it. */
type TaskNext = Extract<Progress, { kind: 'task-finished' }>['next'];

export interface TaskOutcomeInput {
  taskId: string;
  attempt: number;
  result: AgentResult;
  /** A stop or cancel that arrived while the attempt ran. */
  interrupt: Interrupt | undefined;
  /** The per-task time limit ended the attempt. */
  timedOut: boolean;
  taskTimeoutMs: number;
  /** The task's attempts so far, this one last. */
  attempts: readonly Attempt[];
  retry: RetryPolicy;
  now: number;
}

export interface TaskOutcome {
  event: Extract<NewRunEvent, { type: 'task-finished' }>;
  next: TaskNext;
  /** Set when this outcome stops the run from starting more tasks. */
  halt?: Halt;
}

/**
 * What one finished attempt means: the `task-finished` event to record, what
 * happens to the task next, and whether the run must halt. Success wins over
 * an interrupt (the work is done); a cancel or stop wins over a time limit;
 * rate limits wait without counting, up to `RATE_LIMIT_BACKOFF.maxWaits`;
 * other failures retry per the policy, then block.
 */
export function taskOutcome(input: TaskOutcomeInput): TaskOutcome {
  const { taskId, attempt, result, interrupt } = input;
  const base = { type: 'task-finished' as const, taskId, attempt, result };
  if (result.success) {
    return { event: { ...base, to: 'done', outcome: 'success', counted: true }, next: 'done' };
  }
  if (interrupt?.kind === 'cancel') {
    return {
      event: {
        ...base,
        to: 'cancelled',
        outcome: 'cancelled',
        counted: false,
        error: { kind: 'cancelled', message: `cancelled: ${interrupt.reason}` },
      },
      next: 'cancelled',
    };
  }
  if (interrupt?.kind === 'stop') {
    return {
      event: {
        ...base,
        to: 'pending',
        outcome: 'interrupted',
        counted: false,
        error: { kind: 'cancelled', message: 'stopped; the task reruns on resume' },
      },
      next: 'pending',
    };
  }
  if (input.timedOut) {
    const detail = `task ${taskId} ran past the per-task time limit (${Math.round(input.taskTimeoutMs / 1000)} s)`;
    return {
      event: {
        ...base,
        to: 'pending',
        outcome: 'timeout',
        counted: true,
        error: { kind: 'timeout', message: detail },
      },
      next: 'pending',
      halt: { kind: 'limit', limit: 'task-timeout', detail },
    };
  }
  if (result.needsHuman) {
    return {
      event: {
        ...base,
        to: 'blocked',
        outcome: 'needs-human',
        counted: true,
        error: { kind: 'blocked', message: `needs a human: ${result.needsHuman.reason}` },
      },
      next: 'needs-human',
      halt: { kind: 'needs-human', taskId, ...result.needsHuman },
    };
  }
  const error: AgentError = result.error ?? { kind: 'failed', message: result.summary || 'failed' };
  const reaction = failureReaction(error.kind);
  const { attempts } = input;
  if (reaction === 'retry-later') {
    // This wait and the rate-limited attempts right before it.
    let waits = 1;
    for (let i = attempts.length - 2; i >= 0 && attempts[i]?.outcome === 'rate-limited'; i--) {
      waits++;
    }
    if (waits > RATE_LIMIT_BACKOFF.maxWaits) {
      const reason = `still rate limited after ${waits} waits: ${error.message}`;
      return {
        event: {
          ...base,
          to: 'blocked',
          outcome: 'rate-limited',
          counted: false,
          error: { ...error, message: reason },
        },
        next: 'blocked',
        halt: { kind: 'blocked', taskId, reason },
      };
    }
    const delay = rateLimitDelay(error, waits, input.now);
    return {
      event: {
        ...base,
        to: 'pending',
        outcome: 'rate-limited',
        counted: false,
        error,
        notBefore: new Date(input.now + delay).toISOString(),
      },
      next: 'retry-later',
    };
  }
  // A conflict with work integrated meanwhile is not the task's failure: it reruns on the
  // new head at once, uncounted (a second conflict comes back as needs-human).
  const counted = error.kind !== 'conflict';
  const failures =
    attempts.filter((a) => a.counted && a.outcome !== 'success').length + (counted ? 1 : 0);
  if (reaction === 'retry' && (failures < input.retry.maxAttempts || !counted)) {
    const delay = counted ? retryDelay(input.retry, failures) : 0;
    return {
      event: {
        ...base,
        to: 'failed',
        outcome: 'failed',
        counted,
        error,
        notBefore: new Date(input.now + delay).toISOString(),
      },
      next: 'retry',
    };
  }
  const reason =
    reaction === 'block'
      ? `${taskId}: ${error.message}`
      : `${taskId} failed ${plural(failures, 'time')}: ${error.message}`;
  return {
    event: { ...base, to: 'blocked', outcome: 'failed', counted: true, error },
    next: 'blocked',
    halt: { kind: 'blocked', taskId, reason },
  };
}
