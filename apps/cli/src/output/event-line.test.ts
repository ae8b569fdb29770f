import type { RunEvent } from '@sprint/core';
import { describe, expect, it } from 'vitest';
import { describeActivity, describeStopReason, eventLine } from './event-line.js';
import { createStyle } from './style.js';

const base = { seq: 1, at: '2026-01-15T10:00:00.000Z', sprintId: 's' } as const;

describe('event lines', () => {
  it('prints one timestamped line per event', () => {
    const event: RunEvent = {
      ...base,
      type: 'task-started',
      taskId: 'a',
      attempt: 1,
      agent: 'shell',
      runId: 'r',
      host: 'h',
    };
    expect(eventLine(event)).toBe('2026-01-15T10:00:00.000Z a started (attempt 1, agent shell)');
  });

  it('names the tool an agent calls', () => {
    expect(describeActivity({ kind: 'tool-use', tool: 'Bash', input: 'npm   test' })).toBe(
      'tool Bash: npm test',
    );
  });

  it('says why a run ended', () => {
    expect(
      describeStopReason({ kind: 'limit', limit: 'max-iterations', detail: '30 agent runs' }),
    ).toBe('limit reached (max-iterations): 30 agent runs');
    expect(describeStopReason({ kind: 'needs-human', taskId: 't' })).toBe('needs a human (task t)');
  });

  it('says in the run-ended line which part of the spend the fallback price estimated', () => {
    const ended = (extra: Partial<RunEvent & { type: 'run-ended' }>): RunEvent => ({
      ...base,
      type: 'run-ended',
      runId: 'r',
      status: 'completed',
      stopReason: { kind: 'completed' },
      iterations: 2,
      costUsd: 0.42,
      estimatedCostUsd: 0.42,
      ...extra,
    });
    expect(
      eventLine(ended({ fallbackPricing: { costUsd: 0.1, models: [], unknownModel: true } })),
    ).toContain(
      '(2 iterations, $0.42 (estimated from token prices; $0.10 at the fallback price: model unknown))',
    );
    expect(
      eventLine(
        ended({
          fallbackPricing: { costUsd: 0.3, models: ['zeta-1', 'zeta-2'], unknownModel: true },
        }),
      ),
    ).toContain(
      '$0.30 at the fallback price: model unknown, zeta-1, zeta-2 not in the price table)',
    );
    // An event logged before the fallback was marked reads as it did.
    expect(eventLine(ended({}))).toContain('$0.42 (estimated from token prices))');
  });

  it('colours only when the style says so', () => {
    const event: RunEvent = {
      ...base,
      type: 'sprint-status',
      from: 'in-progress',
      to: 'completed',
    };
    expect(eventLine(event)).not.toContain('\u001b[');
    expect(eventLine(event, createStyle(true))).toContain('\u001b[32mcompleted');
  });
});
