import { hostname } from 'node:os';
import { SprintLockedError, type Task } from '@sprint/core';
import { runStoreContract } from '@sprint/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from './migrations.js';
import { PostgresStore } from './postgres-store.js';
import {
  openTestDatabase,
  startSharedPglite,
  testDatabases,
  uniqueSchema,
} from './test-database.js';

// PGlite's start (initdb in WASM) can take half a minute on a busy 2-core machine.
beforeAll(() => startSharedPglite(), 180_000);

const task = (id: string, dependsOn: string[] = []): Task => ({
  id,
  type: 'custom-step',
  priority: 'medium',
  dependsOn,
  fields: {},
  title: `Task ${id}`,
});

for (const { name, url } of testDatabases()) {
  runStoreContract(`PostgresStore on ${name}`, {
    make: async () => {
      const schema = uniqueSchema('contract');
      const { db, cleanup } = await openTestDatabase(url, schema);
      const store = await PostgresStore.open({ db, schema });
      return {
        store,
        // A second instance has its own cache: what it reads comes from the tables.
        reopen: () => new PostgresStore({ db, schema }),
        cleanup: async () => {
          await store.close();
          await cleanup();
        },
      };
    },
  });

  describe(`PostgresStore on ${name}`, () => {
    async function open() {
      const schema = uniqueSchema('pgstore');
      const { db, cleanup } = await openTestDatabase(url, schema);
      const store = await PostgresStore.open({ db, schema, leaseMs: 300 });
      return { db, schema, store, cleanup };
    }

    it('migrates once when many callers race, and records the version', async () => {
      const { db, schema, cleanup } = await open();
      try {
        await Promise.all([migrate(db, schema), migrate(db, schema), migrate(db, schema)]);
        const rows = await db.query<{ version: number }>(
          `SELECT version FROM "${schema}".migrations ORDER BY version`,
        );
        expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
      } finally {
        await cleanup();
      }
    });

    it('frees a lease whose holder stopped renewing it (kill -9), and not before', async () => {
      const { store, cleanup } = await open();
      try {
        const id = await store.create({ name: 'Lease', tasks: [task('a')] });
        const holder = {
          pid: 1,
          host: hostname(),
          runId: 'dead',
          startedAt: new Date().toISOString(),
        };
        // A lease taken by SQL alone, with nobody renewing it: what a killed runner leaves.
        await store.db.query(
          `INSERT INTO ${store.table('locks')} (sprint_id, run_id, holder, expires_at)
           VALUES ($1, 'dead', $2, now() + interval '300 milliseconds')`,
          [id, JSON.stringify(holder)],
        );
        await expect(store.acquireLock(id, { ...holder, runId: 'next' })).rejects.toBeInstanceOf(
          SprintLockedError,
        );
        await expect
          .poll(async () => (await store.inspectLock(id))?.alive, { timeout: 10_000 })
          .toBe(false);
        const lock = await store.acquireLock(id, { ...holder, runId: 'next' });
        // The live holder renews: its lease outlives several lease periods.
        const deadline = Date.now() + 1_000;
        while (Date.now() < deadline) {
          expect((await store.inspectLock(id))?.alive).toBe(true);
          await new Promise((r) => setTimeout(r, 100));
        }
        await lock.release();
        expect(await store.inspectLock(id)).toBeNull();
      } finally {
        await cleanup();
      }
    });

    it('delivers a control request to a listener, and state appended by another instance to a reader', async () => {
      const { db, schema, store, cleanup } = await open();
      try {
        const id = await store.create({ name: 'Control', tasks: [task('a'), task('b', ['a'])] });
        const heard: string[] = [];
        const off = await store.onControl((sprintId) => heard.push(sprintId));
        await store.requestControl(id, { action: 'stop', requestedAt: new Date().toISOString() });
        await expect.poll(() => heard, { timeout: 5_000 }).toEqual([id]);
        await off();

        const other = new PostgresStore({ db, schema });
        const seen: number[] = [];
        const unsubscribe = store.subscribe(id, (e) => seen.push(e.seq));
        await expect.poll(() => store.load(id).then(() => true)).toBe(true);
        await other.append(id, [{ type: 'sprint-status', from: 'not-started', to: 'in-progress' }]);
        await other.claimTask(id, { taskId: 'a', agent: 'x', runId: 'r', host: 'h' });
        expect((await store.load(id)).state.tasks.a?.status).toBe('running');
        expect(
          await store.claimTask(id, { taskId: 'a', agent: 'x', runId: 'r', host: 'h' }),
        ).toBeNull();
        await expect.poll(() => seen, { timeout: 5_000 }).toEqual([1, 2]);
        unsubscribe();
        await store.close();
      } finally {
        await cleanup();
      }
    });

    it("folds another instance's events once when loads of this instance overlap", async () => {
      const { db, schema, store, cleanup } = await open();
      try {
        const id = await store.create({ name: 'Overlap', tasks: [task('a'), task('b')] });
        const other = new PostgresStore({ db, schema });
        await store.load(id); // cached
        await other.append(id, [{ type: 'sprint-status', from: 'not-started', to: 'in-progress' }]);
        await other.claimTask(id, { taskId: 'a', agent: 'x', runId: 'r', host: 'h' });
        // A worker's tasks load the same sprint at once: each sees a, started once.
        const loads = await Promise.all([store.load(id), store.load(id), store.load(id)]);
        for (const { state } of loads) {
          expect(state.tasks.a?.status).toBe('running');
          expect(state.tasks.a?.attempts).toHaveLength(1);
        }
        await other.claimTask(id, { taskId: 'b', agent: 'x', runId: 'r', host: 'h' });
        const [, { state }] = await Promise.all([
          store.append(id, [
            { type: 'agent-activity', taskId: 'a', activity: { kind: 'text', text: 'hi' } },
          ]),
          store.load(id),
        ]);
        expect(state.tasks.b?.attempts).toHaveLength(1);
        await store.close();
      } finally {
        await cleanup();
      }
    });
  });
}

describe('the test server', () => {
  it.runIf(process.env.SPRINT_TEST_DATABASE_URL)(
    'is reachable when SPRINT_TEST_DATABASE_URL names one (a broken URL fails the suite)',
    async () => {
      const { db, cleanup } = await openTestDatabase(
        process.env.SPRINT_TEST_DATABASE_URL ?? '',
        uniqueSchema(),
      );
      expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
      await cleanup();
    },
  );
});
