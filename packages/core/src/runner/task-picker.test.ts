import { describe, expect, it } from 'vitest';
import { initialState, initialTaskState } from '../model/fold.js';
import type { Task } from '../model/sprint.js';
import type { SprintState } from '../model/state.js';
import type { TaskStatus } from '../model/status.js';
import { TaskPicker } from './task-picker.js';

const task = (
  id: string,
  dependsOn: string[] = [],
  priority: Task['priority'] = 'medium',
): Task => ({
  id,
  type: 'x',
  priority,
  dependsOn,
  fields: {},
});

function stateOf(
  tasks: Task[],
  statuses: Record<string, TaskStatus | 'interrupted'> = {},
): SprintState {
  const state = initialState({ tasks });
  for (const [id, s] of Object.entries(statuses)) {
    state.tasks[id] =
      s === 'interrupted'
        ? {
            ...initialTaskState('pending'),
            attempts: [{ n: 1, agent: 'x', startedAt: '', outcome: 'interrupted', counted: false }],
          }
        : initialTaskState(s);
  }
  return state;
}

describe('TaskPicker', () => {
  const a = task('a', [], 'low');
  const b = task('b', ['c'], 'critical');
  const c = task('c', [], 'high');
  const d = task('d');
  const table: [
    string,
    Task[],
    Record<string, TaskStatus | 'interrupted'>,
    string[],
    string | undefined,
  ][] = [
    ['the first task as written, whatever the priorities', [a, c, d], {}, [], 'a'],
    ['skips a task whose dependency is not done', [b, c, d], {}, [], 'c'],
    ['takes it once the dependency is done', [b, c, d], { c: 'done' }, [], 'b'],
    ['skips tasks running here', [a, c, d], {}, ['a'], 'c'],
    ['skips settled tasks', [a, c, d], { a: 'done', c: 'blocked' }, [], 'd'],
    ['an interrupted task goes first', [a, c, d], { d: 'interrupted' }, [], 'd'],
    [
      'an interrupted task still waits for its dependencies',
      [b, c, d],
      { b: 'interrupted' },
      [],
      'c',
    ],
    [
      'nothing when every task is settled or running',
      [a, c],
      { a: 'done', c: 'running' },
      [],
      undefined,
    ],
  ];
  it.each(table)('%s', (_, tasks, statuses, running, expected) => {
    const state = stateOf(tasks, statuses);
    const picker = new TaskPicker({ tasks }, state);
    expect(picker.next(state, new Set(running))?.id).toBe(expected);
  });

  it('keeps up as tasks finish, from the head of the queue on', () => {
    const tasks = [a, b, c, d];
    const state = stateOf(tasks);
    const picker = new TaskPicker({ tasks }, state);
    const order: string[] = [];
    for (let t = picker.next(state); t; t = picker.next(state)) {
      order.push(t.id);
      state.tasks[t.id] = initialTaskState('done');
    }
    expect(order).toEqual(['a', 'c', 'b', 'd']);
  });
});
