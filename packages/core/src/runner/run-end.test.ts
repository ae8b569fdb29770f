import { describe, expect, it } from 'vitest';
import { initialTaskState } from '../model/fold.js';
import type { TaskState } from '../model/state.js';
import type { TaskStatus } from '../model/status.js';
import { completionEnd, type RunEndInput, runEnd } from './run-end.js';

const tasks = (...statuses: TaskStatus[]): Record<string, TaskState> =>
  Object.fromEntries(statuses.map((s, i) => [`t${i + 1}`, initialTaskState(s)]));
const input = (over: Partial<RunEndInput>): RunEndInput => ({
  state: { tasks: tasks('done', 'pending') },
  ...over,
});
const asked = {
  ...initialTaskState('blocked'),
  question: { reason: 'which?', options: [] },
};

describe('runEnd', () => {
  const table: [string, Partial<RunEndInput>, ReturnType<typeof runEnd>][] = [
    [
      'a loop failure blocks, over everything else',
      { failure: 'disk full', interrupt: { kind: 'cancel', reason: 'x' } },
      { to: 'blocked', reason: 'disk full', stopReason: { kind: 'blocked', reason: 'disk full' } },
    ],
    [
      'a cancel cancels, over a stop or halt',
      { interrupt: { kind: 'cancel', reason: 'enough' }, halt: { kind: 'blocked', reason: 'x' } },
      { to: 'cancelled', reason: 'enough', stopReason: { kind: 'cancelled', reason: 'enough' } },
    ],
    [
      'a stop pauses',
      { interrupt: { kind: 'stop' } },
      { to: 'paused', reason: 'stopped', stopReason: { kind: 'stopped' } },
    ],
    [
      'a question halts for a person',
      { halt: { kind: 'needs-human', taskId: 't2', reason: 'which?', options: ['a'] } },
      {
        to: 'needs-human',
        reason: 'which?',
        humanNeeded: { taskId: 't2', reason: 'which?', options: ['a'] },
        stopReason: { kind: 'needs-human', taskId: 't2' },
      },
    ],
    [
      'a blocked task blocks',
      { halt: { kind: 'blocked', taskId: 't2', reason: 'no' } },
      { to: 'blocked', reason: 'no', stopReason: { kind: 'blocked', taskId: 't2', reason: 'no' } },
    ],
    [
      'a limit pauses and is recorded',
      { halt: { kind: 'limit', limit: 'max-cost', detail: 'spent' } },
      {
        to: 'paused',
        reason: 'spent',
        stopReason: { kind: 'limit', limit: 'max-cost', detail: 'spent' },
        limit: { limit: 'max-cost', detail: 'spent' },
      },
    ],
    [
      'a stop says who asked',
      { interrupt: { kind: 'stop', requestedBy: 'alice (cli)' } },
      {
        to: 'paused',
        reason: 'stopped at the request of alice (cli)',
        stopReason: { kind: 'stopped', requestedBy: 'alice (cli)' },
      },
    ],
    [
      'a pause pauses while tasks are left',
      { pause: {} },
      { to: 'paused', reason: 'paused', stopReason: { kind: 'paused' } },
    ],
    [
      "a person's pause says who asked",
      { pause: { requestedBy: 'api (127.0.0.1)' } },
      {
        to: 'paused',
        reason: 'paused at the request of api (127.0.0.1)',
        stopReason: { kind: 'paused', requestedBy: 'api (127.0.0.1)' },
      },
    ],
    [
      'a planned break names its task',
      { pause: { taskId: 't1' } },
      {
        to: 'paused',
        reason: 'paused after task t1 (pause-after)',
        stopReason: { kind: 'paused', taskId: 't1' },
      },
    ],
    [
      'all done or skipped: the completion hooks decide',
      { state: { tasks: tasks('done', 'skipped') } },
      'check-completion',
    ],
    [
      'an open question left over asks a person',
      { state: { tasks: { ...tasks('done'), t2: asked } } },
      {
        to: 'needs-human',
        reason: 'which?',
        humanNeeded: { taskId: 't2', reason: 'which?', options: [] },
        stopReason: { kind: 'needs-human', taskId: 't2' },
      },
    ],
    [
      'tasks that wait on undone work block, named',
      { state: { tasks: tasks('blocked', 'pending', 'failed') } },
      {
        to: 'blocked',
        reason: 'no task can run: t2, t3 wait on tasks that are not done',
        stopReason: {
          kind: 'blocked',
          reason: 'no task can run: t2, t3 wait on tasks that are not done',
        },
      },
    ],
  ];
  it.each(table)('%s', (_, over, expected) => {
    expect(runEnd(input(over))).toEqual(expected);
  });

  it('completes unless a before-completion hook blocked', () => {
    expect(completionEnd(undefined)).toEqual({
      to: 'completed',
      stopReason: { kind: 'completed' },
    });
    expect(completionEnd('verify: red')).toEqual({
      to: 'blocked',
      reason: 'verify: red',
      stopReason: { kind: 'blocked', reason: 'verify: red' },
    });
  });
});

describe('runEnd when the last task finished as a pause or stop came', () => {
  it.each([
    ['a pause', { pause: {} }],
    ['a stop', { interrupt: { kind: 'stop' } as const }],
  ])('%s with every task done completes', (_, over) => {
    expect(runEnd(input({ ...over, state: { tasks: tasks('done', 'done') } }))).toBe(
      'check-completion',
    );
  });

  it('a cancel with every task done still cancels', () => {
    expect(
      runEnd(
        input({ interrupt: { kind: 'cancel', reason: 'no' }, state: { tasks: tasks('done') } }),
      ),
    ).toMatchObject({ to: 'cancelled' });
  });
});
