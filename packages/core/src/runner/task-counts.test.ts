import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../model/events.js';
import { applyEventInPlace, countTasks, initialState } from '../model/fold.js';
import type { Task } from '../model/sprint.js';
import { TaskCountKeeper } from './task-counts.js';

const task = (id: string): Task => ({
  id,
  type: 'x',
  priority: 'medium',
  dependsOn: [],
  fields: {},
});

describe('TaskCountKeeper', () => {
  it('matches a full count after every event of a run', () => {
    const state = initialState({ tasks: [task('a'), task('b')] });
    const keeper = new TaskCountKeeper(state);
    let seq = 0;
    const ev = (e: Record<string, unknown>) =>
      ({ seq: ++seq, at: '2026-12-01T00:00:00Z', sprintId: 's', ...e }) as RunEvent;
    const events = [
      ev({ type: 'sprint-status', from: 'not-started', to: 'in-progress' }),
      ev({ type: 'task-started', taskId: 'a', attempt: 1, agent: 'x', runId: 'r', host: 'h' }),
      ev({
        type: 'agent-activity',
        taskId: 'a',
        activity: { kind: 'log', stream: 'stdout', line: 'x' },
      }),
      ev({
        type: 'task-finished',
        taskId: 'a',
        attempt: 1,
        to: 'failed',
        outcome: 'failed',
        counted: true,
      }),
      ev({ type: 'tasks-added', tasks: [task('c')] }),
      ev({ type: 'task-started', taskId: 'a', attempt: 2, agent: 'x', runId: 'r', host: 'h' }),
      ev({
        type: 'task-finished',
        taskId: 'a',
        attempt: 2,
        to: 'done',
        outcome: 'success',
        counted: true,
      }),
      ev({ type: 'task-started', taskId: 'c', attempt: 1, agent: 'x', runId: 'r', host: 'h' }),
      ev({
        type: 'task-finished',
        taskId: 'c',
        attempt: 1,
        to: 'blocked',
        outcome: 'failed',
        counted: true,
      }),
    ];
    for (const e of events) {
      const was = keeper.before(state, e);
      applyEventInPlace(state, e);
      keeper.after(state, e, was);
      expect(keeper.counts).toEqual(countTasks(state));
    }
    expect(keeper.counts).toMatchObject({ total: 3, done: 1, blocked: 1, pending: 1 });
  });
});
