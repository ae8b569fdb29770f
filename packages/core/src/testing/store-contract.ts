import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { AgentRegistry } from '../agents/agent-registry.js';
import {
  IllegalTransitionError,
  InvalidSprintError,
  SprintLockedError,
  TaskNotChangeableError,
} from '../model/errors.js';
import type { Task } from '../model/sprint.js';
import { SprintRunner } from '../runner/sprint-runner.js';
import { retryTask, skipTask } from '../runner/task-control.js';
import type { SprintStore } from '../stores/sprint-store.js';
import { ScriptedAgent } from './scripted-agent.js';

/** A fresh, empty store for each test, and optionally a second instance over the same data. */
export interface StoreContractTarget {
  make(): Promise<{
    store: SprintStore;
    /** Makes a sprint named "Contract sprint" with goal "pass" and these tasks; defaults to `store.create`. */
    seed?: (tasks: Task[]) => Promise<string>;
    /** A second store instance over the same data, to prove durability. */
    reopen?: () => SprintStore;
    cleanup?: () => Promise<void>;
  }>;
  /** Formats that take tasks only by editing the user's file say false. */
  addsTasks?: boolean;
}

const task = (id: string, extra: Partial<Task> = {}): Task => ({
  id,
  type: 'custom-step',
  priority: 'medium',
  dependsOn: [],
  fields: {},
  title: `Task ${id}`,
  ...extra,
});

const holder = (runId: string) => ({
  pid: process.pid,
  host: hostname(),
  runId,
  startedAt: new Date().toISOString(),
});

/**
 * The behaviour every `SprintStore` must have. Run it from a test file:
 *
 * @example
 * import { runStoreContract } from '@sprint/core/testing';
 * runStoreContract('MyStore', { make: async () => ({ store: new MyStore() }) });
 */
export function runStoreContract(name: string, target: StoreContractTarget): void {
  describe(`${name} (store contract)`, () => {
    async function withSprint(tasks: Task[] = [task('a'), task('b', { dependsOn: ['a'] })]) {
      const made = await target.make();
      const id = made.seed
        ? await made.seed(tasks)
        : await made.store.create({ name: 'Contract sprint', goals: ['pass'], tasks });
      return { ...made, id };
    }

    it('creates a sprint that loads back with its tasks and a not-started state', async () => {
      const { store, id, cleanup } = await withSprint();
      try {
        const snap = await store.load(id);
        expect(snap.definition.name).toBe('Contract sprint');
        expect(snap.definition.goals).toEqual(['pass']);
        expect(snap.definition.tasks.map((t) => t.id)).toEqual(['a', 'b']);
        expect(snap.definition.tasks[1]?.dependsOn).toEqual(['a']);
        expect(snap.state.status).toBe('not-started');
        expect(snap.state.tasks.a?.status).toBe('pending');
        const list = await store.list();
        expect(list.map((s) => s.id)).toContain(id);
        expect(list.find((s) => s.id === id)?.counts.total).toBe(2);
      } finally {
        await cleanup?.();
      }
    });

    it('refuses a second lock holder while the first holds it, and frees it on release', async () => {
      const { store, id, cleanup } = await withSprint();
      try {
        const lock = await store.acquireLock(id, holder('one'));
        await expect(store.acquireLock(id, holder('two'))).rejects.toBeInstanceOf(
          SprintLockedError,
        );
        expect((await store.inspectLock(id))?.alive).toBe(true);
        await lock.release();
        const again = await store.acquireLock(id, holder('three'));
        await again.release();
      } finally {
        await cleanup?.();
      }
    });

    it('folds appended events into the state and numbers them in order', async () => {
      const { store, id, cleanup } = await withSprint();
      const lock = await store.acquireLock(id, holder('r'));
      try {
        const stored = await store.append(id, [
          { type: 'sprint-status', from: 'not-started', to: 'in-progress' },
          { type: 'deferred-items', items: ['x', 'y', 'x'], source: 'test' },
        ]);
        expect(stored.map((e) => e.seq)).toEqual([1, 2]);
        const { state } = await store.load(id);
        expect(state.status).toBe('in-progress');
        expect(state.deferredItems).toEqual(['x', 'y']);
        const events = await store.readEvents(id, { afterSeq: 1 });
        expect(events.map((e) => e.type)).toEqual(['deferred-items']);
      } finally {
        await lock.release();
        await cleanup?.();
      }
    });

    it('rejects an illegal transition with a typed error and stores nothing of it', async () => {
      const { store, id, cleanup } = await withSprint();
      const lock = await store.acquireLock(id, holder('r'));
      try {
        await expect(
          store.append(id, [{ type: 'sprint-status', from: 'not-started', to: 'completed' }]),
        ).rejects.toBeInstanceOf(IllegalTransitionError);
        expect((await store.load(id)).state.status).toBe('not-started');
        expect(await store.readEvents(id)).toEqual([]);
      } finally {
        await lock.release();
        await cleanup?.();
      }
    });

    it('claims a ready task exactly once, and never one whose dependencies are not done', async () => {
      const { store, id, cleanup } = await withSprint();
      const lock = await store.acquireLock(id, holder('r'));
      try {
        const claim = { agent: 'x', runId: 'r', host: hostname() };
        expect(await store.claimTask(id, { taskId: 'b', ...claim })).toBeNull();
        const [first, second] = await Promise.all([
          store.claimTask(id, { taskId: 'a', ...claim }),
          store.claimTask(id, { taskId: 'a', ...claim }),
        ]);
        expect([first, second].filter(Boolean)).toHaveLength(1);
        const { state } = await store.load(id);
        expect(state.tasks.a?.status).toBe('running');
        expect(state.tasks.a?.attempts).toHaveLength(1);
      } finally {
        await lock.release();
        await cleanup?.();
      }
    });

    if (target.addsTasks === false) {
      it('refuses new tasks with an error that says how to add them, and changes nothing', async () => {
        const { store, id, cleanup } = await withSprint();
        try {
          await expect(store.addTasks(id, [task('c')])).rejects.toThrow(/add/i);
          const { definition } = await store.load(id);
          expect(definition.tasks.map((t) => t.id)).toEqual(['a', 'b']);
        } finally {
          await cleanup?.();
        }
      });
    } else {
      it('adds new tasks, reports ids already present, and rejects a dependency on a missing task', async () => {
        const { store, id, cleanup } = await withSprint();
        try {
          const result = await store.addTasks(id, [task('a'), task('c', { dependsOn: ['b'] })]);
          expect(result).toEqual({ added: ['c'], skipped: ['a'] });
          await expect(
            store.addTasks(id, [task('d', { dependsOn: ['nope'] })]),
          ).rejects.toBeInstanceOf(InvalidSprintError);
          const { definition } = await store.load(id);
          expect(definition.tasks.map((t) => t.id)).toEqual(['a', 'b', 'c']);
        } finally {
          await cleanup?.();
        }
      });
    }

    it('hands a control request to exactly one taker', async () => {
      const { store, id, cleanup } = await withSprint();
      try {
        await store.requestControl(id, { action: 'pause', requestedAt: new Date().toISOString() });
        const taken = await Promise.all([store.takeControl(id), store.takeControl(id)]);
        expect(taken.filter(Boolean).map((t) => t?.action)).toEqual(['pause']);
        expect(await store.takeControl(id)).toBeNull();
      } finally {
        await cleanup?.();
      }
    });

    it('skips a task with who and why, keeps it after reopening, and retries it', async () => {
      const { store, id, reopen, cleanup } = await withSprint();
      try {
        const skipped = await skipTask(store, id, 'a', {
          requestedBy: 'alice (cli)',
          reason: 'done by hand',
        });
        expect(skipped).toMatchObject({ from: 'pending', to: 'skipped' });
        const again = reopen ? reopen() : store;
        const { state } = await again.load(id);
        expect(state.tasks.a).toMatchObject({ status: 'skipped', reason: 'done by hand' });
        const [event] = (await again.readEvents(id)).filter((e) => e.type === 'task-status');
        expect(event).toMatchObject({
          taskId: 'a',
          from: 'pending',
          to: 'skipped',
          reason: 'done by hand',
          requestedBy: 'alice (cli)',
        });
        // Skipped again, or done: refused with the reason, nothing stored.
        await expect(
          skipTask(store, id, 'a', { requestedBy: 'bob', reason: 'again' }),
        ).rejects.toBeInstanceOf(TaskNotChangeableError);
        // While a run holds the sprint: refused.
        const lock = await store.acquireLock(id, holder('busy'));
        await expect(retryTask(store, id, 'a', { requestedBy: 'bob' })).rejects.toBeInstanceOf(
          SprintLockedError,
        );
        await lock.release();
        const retried = await retryTask(store, id, 'a', { requestedBy: 'bob (dashboard)' });
        expect(retried).toMatchObject({ from: 'skipped', to: 'pending' });
        expect((await store.load(id)).state.tasks.a?.status).toBe('pending');
        expect((await store.readEvents(id)).filter((e) => e.type === 'task-status')).toHaveLength(
          2,
        );
      } finally {
        await cleanup?.();
      }
    });

    it('runs a sprint to completion through SprintRunner and keeps everything after reopening', async () => {
      const { store, id, reopen, cleanup } = await withSprint();
      try {
        const seen: number[] = [];
        const off = store.subscribe(id, (e) => seen.push(e.seq));
        const agent = new ScriptedAgent('scripted', {
          a: { success: true, summary: 'did a', deferredItems: ['later'], costUsd: 0.5 },
          b: {
            success: true,
            summary: 'did b',
            deferredItems: ['later', 'much later'],
            costUsd: 0.25,
          },
        });
        const result = await new SprintRunner({
          store,
          agents: new AgentRegistry({ default: agent }),
        }).run(id);
        off();
        expect(result.status).toBe('completed');
        expect(result.deferredItems).toEqual(['later', 'much later']);
        expect(seen.length).toBeGreaterThan(4);
        expect(seen).toEqual([...seen].sort((x, y) => x - y));
        const again = reopen ? reopen() : store;
        const { state } = await again.load(id);
        expect(state.status).toBe('completed');
        expect(state.tasks.a?.summary).toBe('did a');
        expect(state.tasks.b?.status).toBe('done');
        expect(state.costUsd).toBeCloseTo(0.75);
        expect(state.deferredItems).toEqual(['later', 'much later']);
        expect((await again.loadResult(id))?.status).toBe('completed');
        const events = await again.readEvents(id);
        expect(events.at(-1)?.type).toBe('run-ended');
        expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      } finally {
        await cleanup?.();
      }
    });
  });
}
