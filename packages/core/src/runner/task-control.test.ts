import { describe, expect, it } from 'vitest';
import { AgentRegistry } from '../agents/agent-registry.js';
import { SprintFinishedError, TaskNotChangeableError, TaskNotFoundError } from '../model/errors.js';
import type { TaskInput } from '../model/sprint.js';
import { MemoryStore } from '../stores/memory-store.js';
import { ScriptedAgent } from '../testing/scripted-agent.js';
import { SprintRunner } from './sprint-runner.js';
import { retryTask, skipTask } from './task-control.js';

const failing = {
  success: false,
  summary: 'tests fail',
  error: { kind: 'failed' as const, message: 'tests fail' },
};

function setup(tasks: TaskInput[], scripts: ConstructorParameters<typeof ScriptedAgent>[1] = {}) {
  const store = new MemoryStore({ sprints: [{ id: 's', name: 'Sprint', goals: ['ship'], tasks }] });
  const agent = new ScriptedAgent('default', scripts);
  const runner = new SprintRunner({ store, agents: new AgentRegistry({ default: agent }) });
  return { store, agent, runner };
}

describe('skipTask / retryTask', () => {
  it('a blocked task skipped with a reason lets the sprint complete and its dependents run', async () => {
    const { store, agent, runner } = setup(
      [
        { id: 'a', type: 'x' },
        { id: 'b', type: 'x', dependsOn: ['a'] },
      ],
      { a: failing },
    );
    const first = await runner.run('s', { retry: { maxAttempts: 1 } });
    expect(first.status).toBe('blocked');
    const change = await skipTask(store, 's', 'a', {
      requestedBy: 'alice (cli)',
      reason: 'fixed by hand',
    });
    expect(change).toMatchObject({ from: 'blocked', to: 'skipped' });
    expect(change.event).toMatchObject({ requestedBy: 'alice (cli)', reason: 'fixed by hand' });
    const second = await runner.resume('s');
    expect(second.status).toBe('completed');
    expect(agent.callsFor('a')).toHaveLength(1);
    expect(agent.callsFor('b')).toHaveLength(1);
    const { state } = await store.load('s');
    expect(state.tasks.a).toMatchObject({ status: 'skipped', reason: 'fixed by hand' });
    expect(state.tasks.b?.status).toBe('done');
  });

  it('a retried blocked task gets one more attempt on the next run', async () => {
    const { store, agent, runner } = setup([{ id: 'a', type: 'x' }], {
      a: [failing, { success: true, summary: 'ok now' }],
    });
    expect((await runner.run('s', { retry: { maxAttempts: 1 } })).status).toBe('blocked');
    const change = await retryTask(store, 's', 'a', { requestedBy: 'bob (dashboard)' });
    expect(change).toMatchObject({ from: 'blocked', to: 'pending' });
    expect(change.event).toMatchObject({ reason: 'retried', requestedBy: 'bob (dashboard)' });
    expect((await store.load('s')).state.tasks.a?.status).toBe('pending');
    expect((await runner.resume('s', { retry: { maxAttempts: 1 } })).status).toBe('completed');
    expect(agent.callsFor('a')).toHaveLength(2);
  });

  it('refuses what would make no sense, says why, and stores nothing', async () => {
    const { store, runner } = setup([
      { id: 'a', type: 'x' },
      { id: 'b', type: 'x' },
    ]);
    const by = { requestedBy: 'carol' };
    await expect(skipTask(store, 's', 'a', { ...by, reason: '  ' })).rejects.toThrow(
      /reason is required/,
    );
    await expect(skipTask(store, 's', 'zz', { ...by, reason: 'x' })).rejects.toBeInstanceOf(
      TaskNotFoundError,
    );
    await expect(retryTask(store, 's', 'a', by)).rejects.toThrow(
      /Cannot retry task a: it is pending: it runs again when the sprint next runs or resumes/,
    );
    expect(await store.readEvents('s')).toEqual([]);
    await runner.run('s');
    const error = await skipTask(store, 's', 'a', { ...by, reason: 'x' }).catch((e) => e);
    expect(error).toBeInstanceOf(SprintFinishedError);
    const { state } = await store.load('s');
    expect(state.tasks.a?.status).toBe('done');
    expect(new TaskNotChangeableError('a', 'done', 'm').code).toBe('TASK_NOT_CHANGEABLE');
  });
});
