import { describe, expect, it } from 'vitest';
import { INITIAL_CODEX_STATE, readCodexLine } from './codex-events.js';
import { classifyApiError, codexOutcome } from './codex-outcome.js';

const end = { endedBy: 'exit' as const, exitCode: 1, signal: null, durationMs: 10, stderrTail: '' };
const ctx = { binary: 'codex', limits: { timeoutMs: 1000, idleTimeoutMs: 1000 } };
const cost = { costUsd: 0.01, estimated: true };

describe('classifyApiError (messages seen from codex 0.171)', () => {
  it.each([
    [
      'unexpected status 401 Unauthorized: Incorrect API key provided, url: http://x/v1/responses',
      'auth',
    ],
    ['exceeded retry limit, last status: 429 Too Many Requests', 'rate-limit'],
    ['rate limit exceeded: Rate limit reached. Please try again in 2.5s.', 'rate-limit'],
    ['Quota exceeded. Check your plan and billing details.', 'usage-limit'],
    ["You've hit your usage limit. Try again at 2026-12-03T10:00:00Z.", 'usage-limit'],
    ['Selected model is at capacity. Please try a different model.', 'overloaded'],
    ['unexpected status 400 Bad Request: bad schema', 'api-error'],
    ['something odd', 'crash'],
  ] as const)('%s -> %s', (message, kind) => {
    expect(classifyApiError(message, new Date('2026-12-02T00:00:00Z')).kind).toBe(kind);
  });

  it('takes the wait from "try again in" and the reset time from the message', () => {
    expect(classifyApiError('rate limit exceeded: try again in 2.5s').extra.retryAfterMs).toBe(
      2500,
    );
    expect(classifyApiError('usage limit reached, resets 2026-12-03T10:00:00Z').extra.resetAt).toBe(
      '2026-12-03T10:00:00.000Z',
    );
  });
});

describe('codexOutcome', () => {
  const lines = (...events: unknown[]) =>
    events.reduce(
      (state: typeof INITIAL_CODEX_STATE, e) => readCodexLine(state, JSON.stringify(e)).state,
      INITIAL_CODEX_STATE,
    );

  it('succeeds only on a report with status completed', () => {
    const report = {
      status: 'completed',
      summary: 'ok',
      deferred_items: [],
      files_changed: ['a'],
      human_needed: null,
    };
    const state = lines(
      { type: 'thread.started', thread_id: 't1' },
      {
        type: 'item.completed',
        item: { id: 'i', type: 'agent_message', text: JSON.stringify(report) },
      },
      {
        type: 'turn.completed',
        usage: { input_tokens: 120, cached_input_tokens: 20, output_tokens: 5 },
      },
    );
    const r = codexOutcome({ state, end: { ...end, exitCode: 0 }, cost, ctx });
    expect(r.success).toBe(true);
    expect(r.filesChanged).toEqual(['a']);
    expect(r.tokens).toEqual({ input: 100, output: 5, cacheRead: 20, cacheCreation: 0 });
    expect(r.costEstimated).toBe(true);
    expect(r.sessionId).toBe('t1');
  });

  it.each([
    [
      'prose instead of the report',
      { type: 'item.completed', item: { id: 'i', type: 'agent_message', text: 'Done!' } },
    ],
    [
      'a report with an unknown status',
      {
        type: 'item.completed',
        item: { id: 'i', type: 'agent_message', text: '{"status":"done","summary":"x"}' },
      },
    ],
  ])('%s is invalid-output, never success, even with exit 0', (_, event) => {
    const state = lines(event, { type: 'turn.completed', usage: {} });
    const r = codexOutcome({ state, end: { ...end, exitCode: 0 }, cost, ctx });
    expect(r.success).toBe(false);
    expect(r.error?.kind).toBe('invalid-output');
  });

  it('a failed turn is classified from its message', () => {
    const state = lines({
      type: 'turn.failed',
      error: { message: 'exceeded retry limit, last status: 429' },
    });
    expect(codexOutcome({ state, end, cost, ctx }).error?.kind).toBe('rate-limit');
  });

  it('a run stopped at its idle limit while retrying a rate limit is a rate limit', () => {
    const state = lines({ type: 'error', message: 'Reconnecting... 2/5 (429 Too Many Requests)' });
    const r = codexOutcome({ state, end: { ...end, endedBy: 'idle', exitCode: null }, cost, ctx });
    expect(r.error?.kind).toBe('rate-limit');
  });
});
