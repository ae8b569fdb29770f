import { failureReaction } from '@sprint/core';
import { findResetTime } from '@sprint/core/agent-kit';
import { describe, expect, it } from 'vitest';
import { type ProcessEnd, runOutcome } from './run-outcome.js';
import { INITIAL_STREAM_STATE, ResultMessageSchema, type StreamState } from './stream-json.js';

const limits = { timeoutMs: 30 * 60_000, idleTimeoutMs: 60_000 };
const exited: ProcessEnd = {
  endedBy: 'exit',
  exitCode: 1,
  signal: null,
  durationMs: 1234,
  stderrTail: '',
};
const now = new Date('2026-11-21T06:00:00Z');

function withResult(
  result: Record<string, unknown>,
  extra: Partial<StreamState> = {},
): StreamState {
  return {
    ...INITIAL_STREAM_STATE,
    ...extra,
    result: ResultMessageSchema.parse({
      type: 'result',
      subtype: 'success',
      is_error: true,
      ...result,
    }),
  };
}

const outcome = (state: StreamState, end: ProcessEnd = exited) =>
  runOutcome({ state, end, binary: 'claude', limits, now });

describe('runOutcome', () => {
  it('reads success from the structured status, not from the exit code', () => {
    const r = outcome(
      withResult({
        is_error: false,
        total_cost_usd: 0.5,
        structured_output: {
          status: 'completed',
          summary: 'done',
          deferred_items: ['x'],
          files_changed: [],
        },
      }),
      { ...exited, exitCode: 1 },
    );
    expect(r.success).toBe(true);
    expect(r.costUsd).toBe(0.5);
    expect(r.durationMs).toBe(1234);
  });

  it('classifies usage limits with the reset time the CLI names', () => {
    const r = outcome(withResult({ result: 'Claude AI usage limit reached|1795244400' }));
    expect(r.error).toMatchObject({ kind: 'usage-limit', resetAt: '2026-11-21T07:00:00.000Z' });
    expect(failureReaction(r.error!.kind)).toBe('retry-later');
  });

  it('classifies 429 as rate-limit with the wait the CLI used', () => {
    const r = outcome(
      withResult(
        { api_error_status: 429, result: 'API Error: 429 rate limited' },
        { pendingRetry: { status: 429, delayMs: 8000 } },
      ),
    );
    expect(r.error).toMatchObject({ kind: 'rate-limit', retryAfterMs: 8000 });
  });

  it('classifies 401 as auth with how to log in', () => {
    const r = outcome(
      withResult({ api_error_status: 401, result: 'API Error: 401 invalid x-api-key' }),
    );
    expect(r.error?.kind).toBe('auth');
    expect(r.error?.message).toMatch(/ANTHROPIC_API_KEY/);
    expect(failureReaction('auth')).toBe('block');
  });

  it('names what ended a run without a result line', () => {
    const none = INITIAL_STREAM_STATE;
    expect(
      outcome(none, { ...exited, exitCode: 2, stderrTail: 'boom\nTypeError: x' }).error,
    ).toMatchObject({
      kind: 'crash',
      exitCode: 2,
    });
    expect(
      outcome(none, { ...exited, exitCode: 2, stderrTail: 'boom\nTypeError: x' }).error?.message,
    ).toMatch(/exited with code 2 .*TypeError: x/);
    expect(
      outcome(none, { ...exited, endedBy: 'signal', exitCode: null, signal: 'SIGKILL' }).error
        ?.message,
    ).toMatch(/killed by SIGKILL/);
    expect(outcome(none, { ...exited, endedBy: 'timeout', signal: 'SIGTERM' }).error?.kind).toBe(
      'timeout',
    );
    expect(outcome(none, { ...exited, endedBy: 'idle', signal: 'SIGTERM' }).error?.message).toMatch(
      /idle limit: idle-timeout-ms under config\.claude/,
    );
    expect(outcome(none, { ...exited, endedBy: 'cancel' }).error?.kind).toBe('cancelled');
  });

  it('names the retried error when a limit ends a retrying CLI', () => {
    const retrying = {
      ...INITIAL_STREAM_STATE,
      pendingRetry: { status: 429, delayMs: 30_000, attempt: 4 },
    };
    const r = outcome(retrying, { ...exited, endedBy: 'idle', signal: 'SIGTERM' });
    expect(r.error).toMatchObject({ kind: 'rate-limit', retryAfterMs: 30_000 });
    expect(r.error?.message).toMatch(/idle limit.*429/);
  });

  it('reports the root refusal of bypassPermissions as config', () => {
    const r = outcome(INITIAL_STREAM_STATE, {
      ...exited,
      stderrTail:
        '--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons',
    });
    expect(r.error?.kind).toBe('config');
    expect(r.error?.message).toMatch(/acceptEdits/);
  });

  it('rejects a structured output that does not match the schema', () => {
    const r = outcome(
      withResult({ is_error: false, structured_output: { status: 'done', summary: 1 } }),
    );
    expect(r.error?.kind).toBe('invalid-output');
    expect(r.error?.message).toMatch(/status/);
  });
});

describe('findResetTime', () => {
  it('reads epoch seconds, ISO times and clock times with a zone', () => {
    expect(findResetTime('limit reached|1795244400', now)).toBe('2026-11-21T07:00:00.000Z');
    expect(findResetTime('resets at 2026-11-21T09:30:00Z', now)).toBe('2026-11-21T09:30:00.000Z');
    expect(findResetTime("You've hit your limit · resets 3pm (UTC)", now)).toBe(
      '2026-11-21T15:00:00.000Z',
    );
    // 5am in Paris (UTC+1 in November) has passed at 06:00 UTC: the next one is tomorrow
    expect(findResetTime('resets 5am (Europe/Paris)', now)).toBe('2026-11-22T04:00:00.000Z');
    expect(findResetTime('resets 10:30am (America/New_York)', now)).toBe(
      '2026-11-21T15:30:00.000Z',
    );
    expect(findResetTime('API Error: 429 try again later', now)).toBeUndefined();
  });
});

describe('runOutcome after a refusal', () => {
  it('reports auth at once when the run was stopped at the first 401', () => {
    const r = outcome(
      { ...INITIAL_STREAM_STATE, pendingRetry: { status: 401, attempt: 1, maxRetries: 10 } },
      { ...exited, endedBy: 'refused', exitCode: null, signal: 'SIGTERM' },
    );
    expect(r.error?.kind).toBe('auth');
    expect(r.error?.message).toMatch(/API error 401, retry 1 of 10/);
    expect(r.error?.message).toMatch(/stopped at once/);
  });
});
