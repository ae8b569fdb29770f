import { beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore, WORKER_LOST_SECONDS } from './postgres-store.js';
import {
  openTestDatabase,
  startSharedPglite,
  testDatabases,
  uniqueSchema,
  workerRowSetter,
} from './test-database.js';
import { claimWorkerName } from './worker-name.js';

beforeAll(() => startSharedPglite(), 180_000);

for (const { name, url } of testDatabases()) {
  describe(`listWorkers on ${name}`, () => {
    it("says which workers are live, lost (no heartbeat for a while) or stopped, and lists no lost worker's tasks as running", async () => {
      const schema = uniqueSchema('wlist');
      const { db, cleanup } = await openTestDatabase(url, schema);
      const store = await PostgresStore.open({ db, schema });
      const set = workerRowSetter(store);
      try {
        for (const host of ['live', 'lost', 'gone']) await claimWorkerName(store, host);
        await set('live', `tasks = '["s1/a"]'`);
        // Killed with -9 mid-task: its row keeps the task, its heartbeat grows old.
        await set('lost', `tasks = '["s1/b"]', heartbeat_at = now() - make_interval(secs => $2)`, [
          WORKER_LOST_SECONDS + 1,
        ]);
        await set('gone', "stopped_at = now(), heartbeat_at = now() - interval '1 hour'");
        const listed = await store.listWorkers();
        const by = Object.fromEntries(listed.map((w) => [w.name, w]));
        expect(by.live).toMatchObject({ state: 'live', tasks: ['s1/a'] });
        expect(by.live?.lastTasks).toBeUndefined();
        expect(by.live?.heartbeatAgeMs).toBeLessThan(WORKER_LOST_SECONDS * 1000);
        expect(by.lost).toMatchObject({ state: 'lost', tasks: [], lastTasks: ['s1/b'] });
        expect(by.lost?.heartbeatAgeMs).toBeGreaterThanOrEqual((WORKER_LOST_SECONDS + 1) * 1000);
        expect(by.lost?.stoppedAt).toBeNull();
        expect(by.gone).toMatchObject({ state: 'stopped', tasks: [] });
        expect(by.gone?.heartbeatAgeMs).toBeGreaterThanOrEqual(3_600_000);
        // Just under the bound is still live: a few missed beats on a busy machine are no death.
        await set('lost', 'heartbeat_at = now() - make_interval(secs => $2)', [
          WORKER_LOST_SECONDS - 3,
        ]);
        const again = await store.listWorkers();
        expect(again.find((w) => w.name === 'lost')).toMatchObject({
          state: 'live',
          tasks: ['s1/b'],
        });
      } finally {
        await store.close();
        await cleanup();
      }
    }, 120_000);
  });
}
