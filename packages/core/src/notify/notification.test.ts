import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../model/events.js';
import {
  buildNotification,
  headline,
  type NotificationTrigger,
  triggerFor,
} from './notification.js';

const base = { seq: 1, at: '2026-01-15T10:00:00.000Z', sprintId: 's' };
const ev = (e: Record<string, unknown>) => ({ ...base, ...e }) as unknown as RunEvent;

describe('triggerFor', () => {
  const table: [string, RunEvent, NotificationTrigger | undefined][] = [
    [
      'completed',
      ev({ type: 'sprint-status', from: 'in-progress', to: 'completed' }),
      { event: 'completed' },
    ],
    [
      'blocked, with the task',
      ev({
        type: 'sprint-status',
        from: 'in-progress',
        to: 'blocked',
        reason: 'tests fail',
        stopReason: { kind: 'blocked', taskId: 't', reason: 'tests fail' },
      }),
      { event: 'blocked', taskId: 't', reason: 'tests fail' },
    ],
    [
      'needs-human, with the question',
      ev({
        type: 'sprint-status',
        from: 'in-progress',
        to: 'needs-human',
        humanNeeded: { taskId: 't', reason: 'Which?', options: ['a', 'b'] },
      }),
      {
        event: 'needs-human',
        taskId: 't',
        reason: 'Which?',
        question: { reason: 'Which?', options: ['a', 'b'] },
      },
    ],
    [
      'paused: nothing',
      ev({ type: 'sprint-status', from: 'in-progress', to: 'paused' }),
      undefined,
    ],
    [
      'limit',
      ev({ type: 'limit-reached', limit: 'max-cost', detail: '$5 spent' }),
      { event: 'limit', reason: 'max-cost: $5 spent' },
    ],
    [
      'rate-limit wait',
      ev({
        type: 'task-finished',
        taskId: 't',
        attempt: 2,
        to: 'pending',
        outcome: 'rate-limited',
        counted: false,
        error: { kind: 'rate-limit', message: '429' },
        notBefore: '2026-01-15T11:00:00.000Z',
      }),
      {
        event: 'rate-limit-wait',
        taskId: 't',
        attempt: 2,
        reason: '429',
        retryAt: '2026-01-15T11:00:00.000Z',
      },
    ],
    [
      'failed, retried',
      ev({
        type: 'task-finished',
        taskId: 't',
        attempt: 1,
        to: 'failed',
        outcome: 'failed',
        counted: true,
        error: { kind: 'failed', message: 'boom' },
      }),
      { event: 'task-failed', taskId: 't', attempt: 1, reason: 'boom', willRetry: true },
    ],
    [
      'timed out, blocked',
      ev({
        type: 'task-finished',
        taskId: 't',
        attempt: 3,
        to: 'blocked',
        outcome: 'timeout',
        counted: true,
      }),
      { event: 'task-failed', taskId: 't', attempt: 3, reason: 'timeout', willRetry: false },
    ],
    [
      'success: nothing',
      ev({
        type: 'task-finished',
        taskId: 't',
        attempt: 1,
        to: 'done',
        outcome: 'success',
        counted: true,
      }),
      undefined,
    ],
    [
      'tampering, by name',
      ev({
        type: 'tampering',
        file: 'events.jsonl',
        detail: '12 foreign lines',
        taskIds: ['t', 'u'],
      }),
      { event: 'tamper', taskId: 't', reason: 'events.jsonl: 12 foreign lines' },
    ],
    [
      'agent activity: nothing',
      ev({ type: 'agent-activity', taskId: 't', activity: { kind: 'text', text: 'x' } }),
      undefined,
    ],
  ];
  it.each(table)('%s', (_name, event, expected) => {
    expect(triggerFor(event)).toEqual(expected);
  });
});

describe('buildNotification', () => {
  const ctx = {
    sprintId: '2026-01-15_a b',
    sprintName: 'a b',
    status: 'needs-human' as const,
    counts: {
      total: 3,
      done: 1,
      pending: 2,
      running: 0,
      failed: 0,
      blocked: 0,
      skipped: 0,
      cancelled: 0,
    },
    costUsd: 1.5,
    at: base.at,
  };
  const trigger: NotificationTrigger = {
    event: 'needs-human',
    taskId: 't',
    reason: 'Which?',
    question: { reason: 'Which?', options: [] },
  };

  it('links the dashboard and the answer route only when a public URL is configured', () => {
    expect(buildNotification(trigger, ctx)).not.toHaveProperty('dashboardUrl');
    expect(
      buildNotification(trigger, { ...ctx, publicUrl: 'https://x.example/base/' }),
    ).toMatchObject({
      version: 1,
      dashboardUrl: 'https://x.example/base/sprints/2026-01-15_a%20b',
      answerUrl: 'https://x.example/base/sprints/2026-01-15_a%20b/answer',
    });
    expect(
      buildNotification({ event: 'completed' }, { ...ctx, publicUrl: 'https://x.example' }),
    ).not.toHaveProperty('answerUrl');
  });

  it('reads as one line for people', () => {
    expect(headline(buildNotification(trigger, ctx))).toBe(
      'Sprint a b needs a human (task t): Which?',
    );
  });
});
