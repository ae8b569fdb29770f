import { describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers.js';
import { AgentRegistry } from '../agents/agent-registry.js';
import type { SprintHook } from '../hooks/hook.js';
import {
  InvalidOptionsError,
  InvalidSprintError,
  SprintFinishedError,
  SprintLockedError,
  UnknownAgentError,
} from '../model/errors.js';
import type { TaskInput } from '../model/sprint.js';
import { MemoryStore } from '../stores/memory-store.js';
import { ScriptedAgent, untilAborted } from '../testing/scripted-agent.js';
import type { Progress } from './run-options.js';
import { SprintRunner } from './sprint-runner.js';
import type { TaskWorkspaces } from './task-workspace.js';

const fast = { retry: { delayMs: 1 } };

function setup(tasks: TaskInput[], agents?: AgentRegistry, hooks: SprintHook[] = []) {
  const store = new MemoryStore({ sprints: [{ id: 's', name: 'Sprint', goals: ['ship'], tasks }] });
  const agent = new ScriptedAgent('default');
  const registry = agents ?? new AgentRegistry({ default: agent });
  return {
    store,
    agent,
    runner: new SprintRunner({ store, agents: registry, hooks, controlPollMs: 20 }),
  };
}

describe('SprintRunner', () => {
  it('runs every task to completion with fake agents (happy path)', async () => {
    const { runner, agent, store } = setup([
      { id: 'a', type: 'x' },
      { id: 'b', type: 'x' },
      { id: 'c', type: 'x' },
    ]);
    const result = await runner.run('s');
    expect(result).toMatchObject({
      sprintId: 's',
      success: true,
      status: 'completed',
      stepsCompleted: 3,
      stepsTotal: 3,
      iterations: 3,
    });
    expect(result.stopReason).toEqual({ kind: 'completed' });
    expect(agent.calls.map((c) => c.task.id)).toEqual(['a', 'b', 'c']);
    expect((await store.load('s')).state.status).toBe('completed');
  });

  it('dispatches each task to the agent registered for its type, and others to the default', async () => {
    const impl = new ScriptedAgent('impl');
    const docs = new ScriptedAgent('docs');
    const other = new ScriptedAgent('other');
    const registry = new AgentRegistry({ default: other })
      .register('implement', impl)
      .register('update-docs', docs);
    const { runner } = setup(
      [
        { id: 'a', type: 'implement' },
        { id: 'b', type: 'update-docs', fields: { 'doc-path': 'README.md', changes: 'usage' } },
        { id: 'c', type: 'research' },
      ],
      registry,
    );
    const result = await runner.run('s');
    expect(impl.calls.map((c) => c.task.id)).toEqual(['a']);
    expect(docs.calls.map((c) => c.task.id)).toEqual(['b']);
    expect(other.calls.map((c) => c.task.id)).toEqual(['c']);
    expect(result.agentResults.map((r) => r.agent)).toEqual(['impl', 'docs', 'other']);
  });

  it('rejects a task type with no agent and no default before any task runs', async () => {
    const impl = new ScriptedAgent('impl');
    const { runner, store } = setup(
      [
        { id: 'a', type: 'implement' },
        { id: 'b', type: 'mystery' },
      ],
      new AgentRegistry().register('implement', impl),
    );
    await expect(runner.run('s')).rejects.toThrow(UnknownAgentError);
    await expect(runner.run('s')).rejects.toThrow(/"mystery"/);
    expect(impl.calls).toHaveLength(0);
    expect((await store.load('s')).state.status).toBe('not-started');
  });

  it('calls onProgress when each task starts and after it ends, with counts and the result', async () => {
    const { runner } = setup([
      { id: 'a', type: 'x' },
      { id: 'b', type: 'x' },
    ]);
    const seen: Progress[] = [];
    await runner.run('s', { onProgress: (p) => seen.push(p) });
    const tasks = seen.filter((p) => p.kind === 'task-started' || p.kind === 'task-finished');
    expect(tasks.map((p) => `${p.kind}:${'task' in p ? p.task.id : ''}:${p.counts.done}`)).toEqual([
      'task-started:a:0',
      'task-finished:a:1',
      'task-started:b:1',
      'task-finished:b:2',
    ]);
    const finished = seen.find((p) => p.kind === 'task-finished');
    expect(finished && finished.kind === 'task-finished' && finished.result.summary).toBe('ok');
    expect(seen.at(-1)).toMatchObject({ kind: 'sprint-status', to: 'completed' });
  });

  it('blocks the sprint when a task still fails after its retries, with the reason', async () => {
    const agent = new ScriptedAgent('a', {
      b: {
        success: false,
        summary: 'tests fail',
        error: { kind: 'failed', message: 'tests fail' },
      },
    });
    const { runner, store } = setup(
      [
        { id: 'a', type: 'x' },
        { id: 'b', type: 'x' },
        { id: 'c', type: 'x' },
      ],
      new AgentRegistry({ default: agent }),
    );
    const result = await runner.run('s', { retry: { maxAttempts: 2, delayMs: 60 } });
    expect(result.status).toBe('blocked');
    expect(result.success).toBe(false);
    expect(result.stopReason).toMatchObject({ kind: 'blocked', taskId: 'b' });
    expect(agent.callsFor('b')).toHaveLength(2);
    expect(agent.callsFor('c')).toHaveLength(0);
    const { state } = await store.load('s');
    expect(state.tasks.b?.status).toBe('blocked');
    expect(state.tasks.b?.reason).toContain('tests fail');
    expect(state.reason).toContain('failed 2 times');
  });

  it('retries a failed task after the configured delay and tells the agent why the last attempt failed', async () => {
    const agent = new ScriptedAgent('a', {
      a: [
        { success: false, error: { kind: 'crash', message: 'segfault' } },
        { success: true, summary: 'fixed' },
      ],
    });
    const { runner } = setup([{ id: 'a', type: 'x' }], new AgentRegistry({ default: agent }));
    const t0 = Date.now();
    const result = await runner.run('s', { retry: { maxAttempts: 3, delayMs: 120 } });
    expect(result.status).toBe('completed');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(110);
    expect(agent.callsFor('a')[1]?.attempt).toBe(2);
    expect(agent.callsFor('a')[1]?.previousError).toBe('segfault');
  });

  it('does not count rate limits as attempts, and waits until the named reset time', async () => {
    const resetAt = () => new Date(Date.now() + 80).toISOString();
    const agent = new ScriptedAgent('a', {
      a: [
        () => ({
          success: false,
          error: { kind: 'rate-limit', message: '429', resetAt: resetAt() },
        }),
        () => ({ success: false, error: { kind: 'overloaded', message: '529', retryAfterMs: 10 } }),
        { success: true },
      ],
    });
    const { runner, store } = setup(
      [{ id: 'a', type: 'x' }],
      new AgentRegistry({ default: agent }),
    );
    const t0 = Date.now();
    const result = await runner.run('s', { retry: { maxAttempts: 1 } });
    expect(result.status).toBe('completed');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(70);
    const attempts = (await store.load('s')).state.tasks.a?.attempts ?? [];
    expect(attempts.map((a) => [a.outcome, a.counted])).toEqual([
      ['rate-limited', false],
      ['rate-limited', false],
      ['success', true],
    ]);
  });

  it('blocks at once on an auth error without retrying', async () => {
    const agent = new ScriptedAgent('a', {
      a: { success: false, error: { kind: 'auth', message: 'log in with claude /login' } },
    });
    const { runner } = setup([{ id: 'a', type: 'x' }], new AgentRegistry({ default: agent }));
    const result = await runner.run('s', fast);
    expect(result.status).toBe('blocked');
    expect(agent.calls).toHaveLength(1);
    expect(result.stopReason).toMatchObject({
      kind: 'blocked',
      reason: expect.stringContaining('claude /login'),
    });
  });

  it('stops with needs-human and the question, and passes the answer to the next attempt on resume', async () => {
    const agent = new ScriptedAgent('a', {
      b: [
        {
          success: false,
          needsHuman: {
            reason: 'Which database?',
            details: 'Both work',
            options: ['postgres', 'sqlite'],
          },
        },
        (ctx) => ({ success: true, summary: `used ${ctx.humanAnswer}` }),
      ],
    });
    const { runner, store } = setup(
      [
        { id: 'a', type: 'x' },
        { id: 'b', type: 'x' },
        { id: 'c', type: 'x' },
      ],
      new AgentRegistry({ default: agent }),
    );
    const first = await runner.run('s');
    expect(first.status).toBe('needs-human');
    expect(first.humanNeeded).toEqual({
      taskId: 'b',
      reason: 'Which database?',
      details: 'Both work',
      options: ['postgres', 'sqlite'],
    });
    expect((await store.load('s')).state.humanNeeded?.options).toEqual(['postgres', 'sqlite']);
    expect(agent.callsFor('c')).toHaveLength(0);

    const second = await runner.resume('s', { answer: 'postgres' });
    expect(second.status).toBe('completed');
    expect(agent.callsFor('b')[1]?.humanAnswer).toBe('postgres');
    expect(agent.callsFor('b')[1]?.humanQuestion).toContain('Which database?');
    expect((await store.load('s')).state.tasks.b?.summary).toBe('used postgres');
  });

  it('aggregates deferred items from agents and hooks without duplicates', async () => {
    const agent = new ScriptedAgent('a', {
      a: { success: true, deferredItems: ['Parallel steps', 'Cost tracking'] },
      b: { success: true, deferredItems: ['Cost tracking', ' Streaming '] },
    });
    const hook: SprintHook = {
      name: 'notes',
      afterStep: () => ({ passed: true, deferredItems: ['Parallel steps', 'From a hook'] }),
    };
    const { runner, store } = setup(
      [
        { id: 'a', type: 'x' },
        { id: 'b', type: 'x' },
      ],
      new AgentRegistry({ default: agent }),
      [hook],
    );
    const result = await runner.run('s');
    expect(result.deferredItems).toEqual([
      'Parallel steps',
      'Cost tracking',
      'From a hook',
      'Streaming',
    ]);
    expect((await store.load('s')).state.deferredItems).toEqual(result.deferredItems);
  });

  it('runs the queue as written, dependencies permitting: priority does not reorder it', async () => {
    const { runner, agent } = setup([
      { id: 'low', type: 'x', priority: 'low' },
      { id: 'needs-low', type: 'x', priority: 'critical', dependsOn: ['low'] },
      { id: 'high', type: 'x', priority: 'high' },
      { id: 'medium-1', type: 'x' },
      { id: 'medium-2', type: 'x' },
    ]);
    await runner.run('s');
    expect(agent.calls.map((c) => c.task.id)).toEqual([
      'low',
      'needs-low',
      'high',
      'medium-1',
      'medium-2',
    ]);
  });

  it('runs a task whose dependency comes later in the queue once that one is done', async () => {
    const { runner, agent } = setup([
      { id: 'second', type: 'x', dependsOn: ['first'] },
      { id: 'other', type: 'x' },
      { id: 'first', type: 'x' },
    ]);
    await runner.run('s');
    expect(agent.calls.map((c) => c.task.id)).toEqual(['other', 'first', 'second']);
  });

  it("reruns first a task its runner left running (the plugin's current-task), wherever it is in the queue", async () => {
    const { runner, agent, store } = setup([
      { id: 'a', type: 'x' },
      { id: 'b', type: 'x' },
      { id: 'c', type: 'x' },
    ]);
    // A runner elsewhere started c and died.
    const lock = await store.acquireLock('s', { pid: 1, host: 'gone', runId: 'r0', startedAt: '' });
    await store.append('s', [
      { type: 'sprint-status', from: 'not-started', to: 'in-progress' },
      { type: 'task-started', taskId: 'c', attempt: 1, agent: 'x', runId: 'r0', host: 'gone' },
    ]);
    await lock.release();
    expect((await runner.resume('s')).status).toBe('completed');
    expect(agent.calls.map((c) => c.task.id)).toEqual(['c', 'a', 'b']);
  });

  it('ends completed when a pause comes while the last task runs', async () => {
    const { runner, store } = setup([{ id: 'a', type: 'x' }]);
    const agent = new ScriptedAgent('a', {
      a: async () => {
        await runner.pause('s');
        // Finish only once the pause has reached the run (its control event is logged).
        for (let i = 0; i < 2000; i++) {
          const events = await store.readEvents('s');
          if (events.some((e) => e.type === 'control')) break;
          await new Promise((r) => setTimeout(r, 5));
        }
        return { success: true, summary: 'done' };
      },
    });
    const r2 = new SprintRunner({
      store,
      agents: new AgentRegistry({ default: agent }),
      controlPollMs: 20,
    });
    const result = await r2.run('s');
    expect(result.status).toBe('completed');
    expect((await store.load('s')).state.status).toBe('completed');
  });

  it('with concurrency, a question does not stop independent work: it is asked when that work ends', async () => {
    const { runner, agent, store } = setup(
      [
        { id: 'asks', type: 'x' },
        { id: 'slow', type: 'x' },
        { id: 'after-asks', type: 'x', dependsOn: ['asks'] },
        { id: 'independent', type: 'x' },
      ],
      new AgentRegistry({
        default: new ScriptedAgent('d', {
          asks: { success: false, summary: 'which?', needsHuman: { reason: 'which db?' } },
          slow: async (ctx) => {
            // Still running when the question comes.
            for (let i = 0; i < 2000 && !(await store.load('s')).state.tasks.asks?.question; i++) {
              await new Promise((r) => setTimeout(r, 5));
            }
            return { success: true, summary: `slow saw ${ctx.task.id}` };
          },
        }),
      }),
    );
    void agent;
    const result = await runner.run('s', { concurrency: 2 });
    expect(result.status).toBe('needs-human');
    expect(result.humanNeeded).toMatchObject({ taskId: 'asks', reason: 'which db?' });
    const { state } = await store.load('s');
    expect(state.tasks.slow?.status).toBe('done');
    expect(state.tasks.independent?.status).toBe('done');
    expect(state.tasks['after-asks']?.status).toBe('pending');
  });

  it('rejects a dependency cycle and an unknown dependency before the run', async () => {
    expect(() =>
      setup([
        { id: 'a', type: 'x', dependsOn: ['b'] },
        { id: 'b', type: 'x', dependsOn: ['a'] },
      ]),
    ).toThrow(/cycle: a -> b -> a/);
    expect(() => setup([{ id: 'a', type: 'x', dependsOn: ['ghost'] }])).toThrow(InvalidSprintError);
  });

  it('runs up to N ready tasks at once and never more', async () => {
    let running = 0;
    let peak = 0;
    const agent = new ScriptedAgent('a', {}, async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 30));
      running--;
      return { success: true };
    });
    const { runner } = setup(
      ['a', 'b', 'c', 'd', 'e']
        .map((id) => ({ id, type: 'x' }))
        .concat([{ id: 'last', type: 'x', dependsOn: ['a', 'b', 'c', 'd', 'e'] } as never]),
      new AgentRegistry({ default: agent }),
    );
    const result = await runner.run('s', { concurrency: 3 });
    expect(result.status).toBe('completed');
    expect(peak).toBe(3);
    expect(agent.calls.at(-1)?.task.id).toBe('last');
  });

  it('stops at maxIterations resumably and says which limit', async () => {
    const { runner, store } = setup(['a', 'b', 'c', 'd'].map((id) => ({ id, type: 'x' })));
    const first = await runner.run('s', { maxIterations: 2 });
    expect(first.status).toBe('paused');
    expect(first.stopReason).toMatchObject({ kind: 'limit', limit: 'max-iterations' });
    expect(first.iterations).toBe(2);
    expect((await store.load('s')).state.iterations).toBe(2);
    const second = await runner.resume('s', { maxIterations: 5 });
    expect(second.status).toBe('completed');
    expect((await store.load('s')).state.iterations).toBe(4);
  });

  it('stops when the sprint has spent maxCostUsd, counting spend from earlier runs', async () => {
    const agent = new ScriptedAgent('a', {}, { success: true, costUsd: 0.4 });
    const { runner } = setup(
      ['a', 'b', 'c', 'd'].map((id) => ({ id, type: 'x' })),
      new AgentRegistry({ default: agent }),
    );
    const first = await runner.run('s', { maxCostUsd: 1 });
    expect(first.stopReason).toMatchObject({ kind: 'limit', limit: 'max-cost' });
    expect(agent.calls).toHaveLength(3);
    expect(first.costUsd).toBeCloseTo(1.2);
    const again = await runner.resume('s', { maxCostUsd: 1 });
    expect(again.stopReason).toMatchObject({ kind: 'limit', limit: 'max-cost' });
    expect(agent.calls).toHaveLength(3);
  });

  it('ends a task at the per-task time limit through its signal and stops resumably', async () => {
    let sawAbort = false;
    const agent = new ScriptedAgent('a', {
      a: async (ctx) => {
        await untilAborted(ctx.signal);
        sawAbort = true;
        return { success: false, error: { kind: 'cancelled', message: 'aborted' } };
      },
    });
    const { runner, store } = setup(
      [
        { id: 'a', type: 'x' },
        { id: 'b', type: 'x' },
      ],
      new AgentRegistry({ default: agent }),
    );
    const result = await runner.run('s', { taskTimeoutMs: 60 });
    expect(sawAbort).toBe(true);
    expect(result.status).toBe('paused');
    expect(result.stopReason).toMatchObject({ kind: 'limit', limit: 'task-timeout' });
    expect((await store.load('s')).state.tasks.a?.status).toBe('pending');
  });

  it('pause lets the running task finish, then stops', async () => {
    const { runner, store } = setup([
      { id: 'a', type: 'x' },
      { id: 'b', type: 'x' },
    ]);
    const agent = new ScriptedAgent('a', {
      a: async () => {
        await runner.pause('s', { requestedBy: 'alice (cli)' });
        await new Promise((r) => setTimeout(r, 50));
        return { success: true, summary: 'finished anyway' };
      },
    });
    const r2 = new SprintRunner({
      store,
      agents: new AgentRegistry({ default: agent }),
      controlPollMs: 20,
    });
    const result = await r2.run('s');
    // `runner` asked through the store: the running one (r2) picked it up.
    expect(result.status).toBe('paused');
    expect(result.stopReason).toEqual({ kind: 'paused', requestedBy: 'alice (cli)' });
    const { state } = await store.load('s');
    // The status says who paused it.
    expect(state.reason).toBe('paused at the request of alice (cli)');
    expect(state.tasks.a?.status).toBe('done');
    expect(state.tasks.b?.status).toBe('pending');
  });

  it('pauses once a task with pause-after is done, and goes on from the next task on resume', async () => {
    const { runner, agent, store } = setup([
      { id: 'a', type: 'x' },
      { id: 'review', type: 'x', dependsOn: ['a'], fields: { 'pause-after': true } },
      { id: 'b', type: 'x', dependsOn: ['review'] },
    ]);
    const first = await runner.run('s');
    expect(first.status).toBe('paused');
    expect(first.stopReason).toEqual({ kind: 'paused', taskId: 'review' });
    expect(agent.calls.map((c) => c.task.id)).toEqual(['a', 'review']);
    const pauses = (await store.readEvents('s')).filter((e) => e.type === 'control');
    expect(pauses).toMatchObject([{ action: 'pause', requestedBy: 'task review (pause-after)' }]);
    expect(pauses[0]).toHaveProperty(
      'reason',
      expect.stringMatching(/review its work, then resume$/),
    );
    const paused = await store.load('s');
    expect(paused.state.tasks.b?.status).toBe('pending');
    // The status says why, as the run's result does.
    expect(paused.state.reason).toBe('paused after task review (pause-after)');
    expect(paused.state.stopReason).toEqual({ kind: 'paused', taskId: 'review' });

    // The break is behind it: resume runs the rest without pausing again.
    const second = await runner.resume('s');
    expect(second.status).toBe('completed');
    expect(agent.calls.map((c) => c.task.id)).toEqual(['a', 'review', 'b']);
  });

  it('starts nothing after a pause-after task is done, even when another task ends meanwhile', async () => {
    // The break's settling (under isolation: git work) lasts until `a` has ended,
    // which wakes the scheduler while `review` is done and `next` ready: the pause
    // must be on record by then, not only once settling is over.
    let pausedWhileSettling: boolean | undefined;
    let reviewSettling!: () => void;
    const settling = new Promise<void>((r) => {
      reviewSettling = r;
    });
    let aSettled!: () => void;
    const aDone = new Promise<void>((r) => {
      aSettled = r;
    });
    const workspaces: TaskWorkspaces = {
      open: async () => ({
        prepare: async () => ({ projectDir: process.cwd() }),
        finish: async ({ result }) => result,
        settle: async ({ task }) => {
          if (task.id === 'a') aSettled();
          if (task.id !== 'review') return;
          reviewSettling();
          await aDone;
          pausedWhileSettling = (await store.readEvents('s')).some(
            (e) => e.type === 'control' && e.action === 'pause',
          );
        },
        close: async () => undefined,
      }),
    };
    const store = new MemoryStore({
      sprints: [
        {
          id: 's',
          name: 'Sprint',
          tasks: [
            { id: 'review', type: 'x', fields: { 'pause-after': true } },
            { id: 'a', type: 'x' },
            { id: 'next', type: 'x', dependsOn: ['review'] },
          ],
        },
      ],
    });
    const agent = new ScriptedAgent('default', {
      a: async () => {
        await settling;
        return { success: true, summary: 'a' };
      },
    });
    const runner = new SprintRunner({
      store,
      agents: new AgentRegistry({ default: agent }),
      controlPollMs: 20,
      workspaces,
    });
    const result = await runner.run('s', { concurrency: 2 });
    expect(pausedWhileSettling).toBe(true);
    expect(result.status).toBe('paused');
    expect(agent.calls.map((c) => c.task.id).sort()).toEqual(['a', 'review']);
    expect((await store.load('s')).state.tasks.next?.status).toBe('pending');
  });

  it('lets at most `concurrency` tasks wait for integration without a slot', async () => {
    // A stalled merge queue: every finished attempt is released, then waits for the gate.
    let waitingAtGate = 0;
    let open!: () => void;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const workspaces: TaskWorkspaces = {
      open: async () => ({
        prepare: async () => ({ projectDir: process.cwd() }),
        finish: async ({ result, release }) => {
          release?.();
          waitingAtGate += 1;
          await gate;
          return result;
        },
        settle: async () => undefined,
        close: async () => undefined,
      }),
    };
    const store = new MemoryStore({
      sprints: [
        {
          id: 's',
          name: 'Sprint',
          tasks: ['t1', 't2', 't3', 't4'].map((id) => ({ id, type: 'x' })),
        },
      ],
    });
    const agent = new ScriptedAgent('default');
    const run = new SprintRunner({
      store,
      agents: new AgentRegistry({ default: agent }),
      controlPollMs: 20,
      workspaces,
    }).run('s', { concurrency: 1 });
    // One released task waits without a slot, so a second starts; once that one
    // waits too, the next would be a third waiting: it must not start.
    await waitFor(() => waitingAtGate >= 2);
    expect(agent.calls).toHaveLength(2);
    open();
    expect((await run).status).toBe('completed');
    expect(agent.calls).toHaveLength(4);
  });

  it('does not pause after a pause-after task that failed, nor after the last task', async () => {
    const failing = setup(
      [
        { id: 'a', type: 'x', fields: { 'pause-after': true } },
        { id: 'b', type: 'x' },
      ],
      new AgentRegistry({
        default: new ScriptedAgent('x', {
          a: { success: false, error: { kind: 'auth', message: 'refused' } },
        }),
      }),
    );
    const blocked = await failing.runner.run('s', fast);
    expect(blocked.status).toBe('blocked');
    expect((await failing.store.readEvents('s')).some((e) => e.type === 'control')).toBe(false);

    const last = setup([{ id: 'a', type: 'x', fields: { 'pause-after': true } }]);
    expect((await last.runner.run('s')).status).toBe('completed');
  });

  it('stop interrupts the running agent now; its task goes back to pending and reruns on resume', async () => {
    const store = new MemoryStore({
      sprints: [{ id: 's', name: 'S', tasks: [{ id: 'a', type: 'x' }] }],
    });
    let calls = 0;
    const agent = new ScriptedAgent('a', {}, async (ctx) => {
      calls++;
      if (calls === 1) {
        await untilAborted(ctx.signal);
        return { success: false, error: { kind: 'cancelled', message: 'stopped' } };
      }
      return { success: true };
    });
    const runner = new SprintRunner({
      store,
      agents: new AgentRegistry({ default: agent }),
      controlPollMs: 20,
    });
    const running = runner.run('s');
    await new Promise((r) => setTimeout(r, 30));
    expect((await runner.stop('s', { requestedBy: 'bob (cli)' })).outcome).toBe('requested');
    const result = await running;
    expect(result.status).toBe('paused');
    expect(result.stopReason).toEqual({ kind: 'stopped', requestedBy: 'bob (cli)' });
    expect((await store.load('s')).state.tasks.a?.status).toBe('pending');
    const resumed = await runner.resume('s');
    expect(resumed.status).toBe('completed');
    const attempts = (await store.load('s')).state.tasks.a?.attempts ?? [];
    expect(attempts.map((a) => a.outcome)).toEqual(['interrupted', 'success']);
  });

  it('cancel interrupts and ends the sprint as cancelled with the reason', async () => {
    const store = new MemoryStore({
      sprints: [
        {
          id: 's',
          name: 'S',
          tasks: [
            { id: 'a', type: 'x' },
            { id: 'b', type: 'x' },
          ],
        },
      ],
    });
    const agent = new ScriptedAgent('a', {}, async (ctx) => {
      await untilAborted(ctx.signal);
      return { success: false, error: { kind: 'cancelled', message: 'cancelled' } };
    });
    const runner = new SprintRunner({
      store,
      agents: new AgentRegistry({ default: agent }),
      controlPollMs: 20,
    });
    const running = runner.run('s');
    await new Promise((r) => setTimeout(r, 30));
    await runner.cancel('s', 'requirements changed');
    const result = await running;
    expect(result.status).toBe('cancelled');
    expect(result.stopReason).toEqual({ kind: 'cancelled', reason: 'requirements changed' });
    const { state } = await store.load('s');
    expect(state.tasks.a?.status).toBe('cancelled');
    await expect(runner.run('s')).rejects.toBeInstanceOf(SprintFinishedError);
  });

  it('aborting the run signal stops like stop', async () => {
    const agent = new ScriptedAgent('a', {}, async (ctx) => {
      await untilAborted(ctx.signal);
      return { success: false, error: { kind: 'cancelled', message: 'x' } };
    });
    const { runner } = setup([{ id: 'a', type: 'x' }], new AgentRegistry({ default: agent }));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    const result = await runner.run('s', { signal: ac.signal });
    expect(result.status).toBe('paused');
    expect(result.stopReason).toEqual({ kind: 'stopped' });
  });

  it('refuses a second run of a sprint that is running', async () => {
    const agent = new ScriptedAgent('a', {}, async () => {
      await new Promise((r) => setTimeout(r, 50));
      return { success: true };
    });
    const { runner } = setup([{ id: 'a', type: 'x' }], new AgentRegistry({ default: agent }));
    const first = runner.run('s');
    await new Promise((r) => setTimeout(r, 5));
    await expect(runner.run('s')).rejects.toBeInstanceOf(SprintLockedError);
    expect((await first).status).toBe('completed');
  });

  it('rejects invalid limits with a typed error before anything changes', async () => {
    const { runner, store } = setup([{ id: 'a', type: 'x' }]);
    await expect(runner.run('s', { maxIterations: 0 })).rejects.toBeInstanceOf(InvalidOptionsError);
    await expect(runner.run('s', { concurrency: 1.5 })).rejects.toBeInstanceOf(InvalidOptionsError);
    // Longer than a Node timer can wait: it would fire at once, so it is refused.
    await expect(runner.run('s', { taskTimeoutMs: 30 * 86_400_000 })).rejects.toBeInstanceOf(
      InvalidOptionsError,
    );
    expect(await store.readEvents('s')).toEqual([]);
  });

  it('treats an agent that throws as a crash and retries it', async () => {
    let n = 0;
    const agent = new ScriptedAgent('a', {}, async () => {
      if (++n === 1) throw new Error('boom');
      return { success: true };
    });
    const { runner, store } = setup(
      [{ id: 'a', type: 'x' }],
      new AgentRegistry({ default: agent }),
    );
    const result = await runner.run('s', fast);
    expect(result.status).toBe('completed');
    const attempts = (await store.load('s')).state.tasks.a?.attempts ?? [];
    expect(attempts[0]?.error).toMatchObject({
      kind: 'crash',
      message: expect.stringContaining('boom'),
    });
  });

  it('fails a step when a blocking after-step hook fails, and ignores a non-blocking one', async () => {
    const hooks: SprintHook[] = [
      {
        name: 'lint',
        afterStep: () => ({ passed: false, blocking: false, message: 'style nits' }),
      },
      {
        name: 'verify',
        afterStep: ({ task }) =>
          task.id === 'b' ? { passed: false, message: 'exit 1' } : undefined,
      },
    ];
    const { runner, store } = setup(
      [
        { id: 'a', type: 'x' },
        { id: 'b', type: 'x' },
      ],
      undefined,
      hooks,
    );
    const result = await runner.run('s', { retry: { maxAttempts: 1 } });
    expect(result.status).toBe('blocked');
    const { state } = await store.load('s');
    expect(state.tasks.a?.status).toBe('done');
    expect(state.tasks.b?.attempts[0]?.error).toMatchObject({
      kind: 'verify',
      message: 'verify failed: exit 1',
    });
  });

  it('blocks the sprint when a before-sprint hook blocks, and completes only after before-completion passes', async () => {
    const gate: SprintHook = {
      name: 'gate',
      beforeSprint: () => ({ passed: false, message: 'dirty tree' }),
    };
    const { runner, agent } = setup([{ id: 'a', type: 'x' }], undefined, [gate]);
    const blocked = await runner.run('s');
    expect(blocked.status).toBe('blocked');
    expect(blocked.stopReason).toMatchObject({ reason: 'gate: dirty tree' });
    expect(agent.calls).toHaveLength(0);

    const calls: string[] = [];
    const review: SprintHook = {
      name: 'review',
      beforeCompletion: () => {
        calls.push('before');
        return { passed: true };
      },
      afterCompletion: () => {
        calls.push('after');
      },
    };
    const other = setup([{ id: 'a', type: 'x' }], undefined, [review]);
    expect((await other.runner.run('s')).status).toBe('completed');
    expect(calls).toEqual(['before', 'after']);
  });

  it('gives the agent the sprint, context, previous summaries and the state files it must not edit', async () => {
    const store = new MemoryStore({
      sprints: [
        {
          id: 's',
          name: 'Sprint',
          goals: ['ship it'],
          notes: 'be careful',
          tasks: [
            { id: 'a', type: 'x' },
            { id: 'b', type: 'x' },
          ],
        },
      ],
    });
    store.put(
      {
        id: 's2',
        name: 'S2',
        tasks: [
          { id: 'a', type: 'x' },
          { id: 'b', type: 'x' },
        ],
      },
      { shared: 'shared notes', tasks: { b: 'notes for b' } },
    );
    const agent = new ScriptedAgent('a', { a: { success: true, summary: 'built the thing' } });
    const runner = new SprintRunner({ store, agents: new AgentRegistry({ default: agent }) });
    await runner.run('s2');
    const ctx = agent.callsFor('b')[0]!;
    expect(ctx.previousResults).toEqual([{ taskId: 'a', title: 'a', summary: 'built the thing' }]);
    expect(ctx.context).toEqual({ shared: 'shared notes', task: 'notes for b' });
    await runner.run('s');
    const first = agent.calls.find((c) => c.sprint.id === 's')!;
    expect(first.sprint).toMatchObject({ name: 'Sprint', goals: ['ship it'], notes: 'be careful' });
  });
});

describe('SprintRunner time limits and hooks', () => {
  it('counts a slow after-step hook against the per-task time limit', async () => {
    const slow: SprintHook = {
      name: 'verify',
      afterStep: ({ signal }) =>
        new Promise((resolve) => {
          const t = setTimeout(() => resolve({ passed: true }), 3000);
          signal.addEventListener('abort', () => {
            clearTimeout(t);
            resolve({ passed: false, message: 'aborted' });
          });
        }),
    };
    const { runner } = setup([{ id: 'a', type: 'x' }], undefined, [slow]);
    const t0 = Date.now();
    const result = await runner.run('s', { taskTimeoutMs: 100 });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(result.stopReason).toMatchObject({ kind: 'limit', limit: 'task-timeout' });
  });
});

describe('SprintRunner secrets', () => {
  it('never stores or reports a secret the agent printed', async () => {
    const secret = 'sk-ant-test-0123456789abcdef';
    const store = new MemoryStore({
      sprints: [{ id: 's', name: 'S', tasks: [{ id: 'a', type: 'x' }] }],
    });
    const agent = new ScriptedAgent('a', {
      a: (ctx) => {
        ctx.emit({
          kind: 'tool-result',
          tool: 'Bash',
          isError: false,
          output: `ANTHROPIC_API_KEY=${secret}`,
        });
        return { success: true, summary: `the key is ${secret}` };
      },
    });
    const seen: string[] = [];
    const runner = new SprintRunner({
      store,
      agents: new AgentRegistry({ default: agent }),
      secrets: [secret],
    });
    const result = await runner.run('s', { onProgress: (p) => seen.push(JSON.stringify(p)) });
    const everything = JSON.stringify([
      result,
      await store.readEvents('s'),
      (await store.load('s')).state,
      seen,
    ]);
    expect(everything).not.toContain(secret);
    expect(everything).toContain('ANTHROPIC_API_KEY=[redacted]');
    expect(result.agentResults[0]?.summary).toBe('the key is [redacted]');
  });
});

describe('SprintRunner with several open questions', () => {
  it('asks each question in turn and never reruns a task without its answer', async () => {
    const ask = (q: string) => (ctx: { humanAnswer?: string }) =>
      ctx.humanAnswer
        ? { success: true, summary: `answered ${ctx.humanAnswer}` }
        : { success: false, needsHuman: { reason: q, options: [] } };
    const agent = new ScriptedAgent('a', { a: ask('Which database?'), b: ask('Which queue?') });
    const { runner, store } = setup(
      [
        { id: 'a', type: 'x' },
        { id: 'b', type: 'x' },
        { id: 'c', type: 'x', dependsOn: ['a', 'b'] },
      ],
      new AgentRegistry({ default: agent }),
    );
    const first = await runner.run('s', { concurrency: 2 });
    expect(first.status).toBe('needs-human');
    expect(first.humanNeeded?.reason).toBe('Which database?');

    const second = await runner.resume('s', { answer: 'postgres' });
    expect(second.status).toBe('needs-human');
    expect(second.humanNeeded).toMatchObject({ taskId: 'b', reason: 'Which queue?' });
    expect(agent.callsFor('b')).toHaveLength(1);

    const third = await runner.resume('s', { answer: 'sqs' });
    expect(third.status).toBe('completed');
    expect(agent.callsFor('b').map((c) => c.humanAnswer)).toEqual([undefined, 'sqs']);
    expect(agent.callsFor('a').map((c) => c.humanAnswer)).toEqual([undefined, 'postgres']);
    expect((await store.load('s')).state.tasks.b?.summary).toBe('answered sqs');
  });
});
