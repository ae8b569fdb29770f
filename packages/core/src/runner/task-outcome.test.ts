import { describe, expect, it } from 'vitest';
import { type AgentResult, AgentResultSchema } from '../model/agent-result.js';
import type { Attempt } from '../model/state.js';
import { RATE_LIMIT_BACKOFF } from './retry.js';
import { type TaskOutcomeInput, taskOutcome } from './task-outcome.js';

const now = Date.parse('2026-12-01T10:00:00Z');
const ok: AgentResult = AgentResultSchema.parse({ success: true, summary: 'did it' });
const failed = (kind: string, message = 'boom', extra = {}): AgentResult =>
  AgentResultSchema.parse({ success: false, summary: message, error: { kind, message, ...extra } });
const attempt = (n: number, outcome?: Attempt['outcome'], counted = true): Attempt => ({
  n,
  agent: 'a',
  startedAt: '2026-12-01T09:00:00Z',
  outcome,
  // The attempt that just ended is not finished in the state yet.
  counted: outcome ? counted : undefined,
});
const input = (over: Partial<TaskOutcomeInput>): TaskOutcomeInput => ({
  taskId: 't',
  attempt: 1,
  result: ok,
  interrupt: undefined,
  timedOut: false,
  taskTimeoutMs: 60_000,
  attempts: [attempt(1)],
  retry: { maxAttempts: 3, delayMs: 1000, backoff: 2 },
  now,
  ...over,
});

describe('taskOutcome', () => {
  const table: [string, Partial<TaskOutcomeInput>, Record<string, unknown>, string, string?][] = [
    [
      'success wins over a stop',
      { interrupt: { kind: 'stop' } },
      { to: 'done', outcome: 'success', counted: true },
      'done',
    ],
    ['success wins over a time limit', { timedOut: true }, { to: 'done' }, 'done'],
    [
      'a conflict with integrated work reruns at once, uncounted, even at the last attempt',
      {
        result: failed('conflict', 'a.txt conflicts'),
        attempts: [attempt(1, 'failed'), attempt(2, 'failed'), attempt(3)],
      },
      { to: 'failed', outcome: 'failed', counted: false, notBefore: new Date(now).toISOString() },
      'retry',
    ],
    [
      'a cancel cancels the task without counting it',
      { result: failed('cancelled'), interrupt: { kind: 'cancel', reason: 'no' } },
      {
        to: 'cancelled',
        outcome: 'cancelled',
        counted: false,
        error: { kind: 'cancelled', message: 'cancelled: no' },
      },
      'cancelled',
    ],
    [
      'a stop puts the task back to pending, uncounted',
      { result: failed('cancelled'), interrupt: { kind: 'stop' } },
      { to: 'pending', outcome: 'interrupted', counted: false },
      'pending',
    ],
    [
      'a cancel wins over a time limit',
      { result: failed('timeout'), interrupt: { kind: 'cancel', reason: 'x' }, timedOut: true },
      { to: 'cancelled' },
      'cancelled',
    ],
    [
      'a time limit counts, goes back to pending and halts',
      { result: failed('timeout'), timedOut: true },
      {
        to: 'pending',
        outcome: 'timeout',
        counted: true,
        error: { kind: 'timeout', message: 'task t ran past the per-task time limit (60 s)' },
      },
      'pending',
      'limit',
    ],
    [
      'a question blocks the task and halts for a person',
      {
        result: AgentResultSchema.parse({
          success: false,
          summary: '',
          needsHuman: { reason: 'which db?' },
        }),
      },
      { to: 'blocked', outcome: 'needs-human', counted: true },
      'needs-human',
      'needs-human',
    ],
    [
      'a failure with attempts left retries after the policy delay',
      { result: failed('failed') },
      {
        to: 'failed',
        outcome: 'failed',
        counted: true,
        notBefore: new Date(now + 1000).toISOString(),
      },
      'retry',
    ],
    [
      'the second failure waits twice as long',
      { result: failed('failed'), attempt: 2, attempts: [attempt(1, 'failed'), attempt(2)] },
      { to: 'failed', notBefore: new Date(now + 2000).toISOString() },
      'retry',
    ],
    [
      'the last allowed failure blocks',
      {
        result: failed('crash'),
        attempt: 3,
        attempts: [attempt(1, 'failed'), attempt(2, 'failed'), attempt(3)],
      },
      { to: 'blocked', outcome: 'failed', counted: true },
      'blocked',
      'blocked',
    ],
    [
      'uncounted attempts do not use up retries',
      {
        result: failed('failed'),
        attempt: 3,
        attempts: [attempt(1, 'interrupted', false), attempt(2, 'rate-limited', false), attempt(3)],
      },
      { to: 'failed' },
      'retry',
    ],
    [
      'an auth error blocks at once',
      { result: failed('auth') },
      { to: 'blocked', outcome: 'failed' },
      'blocked',
      'blocked',
    ],
    [
      'a rate limit waits for the named reset without counting',
      { result: failed('rate-limit', 'slow down', { resetAt: '2026-12-01T10:05:00Z' }) },
      {
        to: 'pending',
        outcome: 'rate-limited',
        counted: false,
        notBefore: '2026-12-01T10:05:00.000Z',
      },
      'retry-later',
    ],
    [
      'a rate limit after the most waits blocks',
      {
        result: failed('overloaded'),
        attempt: RATE_LIMIT_BACKOFF.maxWaits + 1,
        attempts: Array.from({ length: RATE_LIMIT_BACKOFF.maxWaits + 1 }, (_, i) =>
          attempt(i + 1, 'rate-limited', false),
        ),
      },
      { to: 'blocked', outcome: 'rate-limited', counted: false },
      'blocked',
      'blocked',
    ],
  ];
  it.each(table)('%s', (_, over, event, next, halt) => {
    const out = taskOutcome(input(over));
    expect(out.event).toMatchObject({ type: 'task-finished', taskId: 't', ...event });
    expect(out.next).toBe(next);
    expect(out.halt?.kind).toBe(halt);
  });

  it('names the failures in the blocked reason', () => {
    const out = taskOutcome(
      input({
        result: failed('failed', 'tests fail'),
        retry: { maxAttempts: 1, delayMs: 1, backoff: 1 },
      }),
    );
    expect(out.halt).toEqual({
      kind: 'blocked',
      taskId: 't',
      reason: 't failed 1 time: tests fail',
    });
  });
});
