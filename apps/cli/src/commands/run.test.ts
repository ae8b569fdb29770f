import type { RunResult } from '@sprint/core';
import { describe, expect, it } from 'vitest';
import { exitCodeForResult } from './run.js';

const result = (over: Partial<RunResult>): RunResult => ({
  sprintId: 's',
  runId: 'r',
  success: false,
  status: 'completed',
  stopReason: { kind: 'completed' },
  stepsCompleted: 0,
  stepsTotal: 0,
  agentResults: [],
  deferredItems: [],
  durationSeconds: 0,
  iterations: 0,
  costUsd: 0,
  tokens: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 },
  startedAt: '',
  endedAt: '',
  ...over,
});

describe('exitCodeForResult', () => {
  it('maps outcomes to the original loop codes', () => {
    expect(exitCodeForResult(result({ status: 'completed' }), false)).toBe(0);
    expect(
      exitCodeForResult(result({ status: 'paused', stopReason: { kind: 'paused' } }), false),
    ).toBe(0);
    expect(
      exitCodeForResult(result({ status: 'paused', stopReason: { kind: 'stopped' } }), false),
    ).toBe(0);
    expect(
      exitCodeForResult(
        result({ status: 'blocked', stopReason: { kind: 'blocked', reason: 'x' } }),
        false,
      ),
    ).toBe(1);
    expect(
      exitCodeForResult(
        result({
          status: 'paused',
          stopReason: { kind: 'limit', limit: 'max-cost', detail: '$5' },
        }),
        false,
      ),
    ).toBe(1);
    expect(
      exitCodeForResult(
        result({ status: 'needs-human', stopReason: { kind: 'needs-human', taskId: 't' } }),
        false,
      ),
    ).toBe(2);
  });

  it('is 130 when the run was interrupted', () => {
    expect(
      exitCodeForResult(result({ status: 'paused', stopReason: { kind: 'stopped' } }), true),
    ).toBe(130);
  });
});
