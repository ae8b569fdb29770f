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
