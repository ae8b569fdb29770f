import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from './postgres-store.js';
import {
  openTestDatabase,
  startSharedPglite,
  testDatabases,
  uniqueSchema,
  workerRowSetter,
} from './test-database.js';
import { claimWorkerName } from './worker-name.js';

beforeAll(() => startSharedPglite(), 180_000);

/** The pid of a process that has ended. */
const deadPid = () => spawnSync('true').pid as number;

for (const { name, url } of testDatabases()) {
  describe(`claimWorkerName on ${name}`, () => {
    it('takes the host name while no live worker here holds it, else the next free -N', async () => {
      const schema = uniqueSchema('wname');
      const { db, cleanup } = await openTestDatabase(url, schema);
      const store = await PostgresStore.open({ db, schema });
      const set = workerRowSetter(store);
      try {
        expect(await claimWorkerName(store, 'box')).toBe('box');
        // Held by this live process now.
        expect(await claimWorkerName(store, 'box')).toBe('box-2');
        expect(await claimWorkerName(store, 'box')).toBe('box-3');
        // box was killed with -9: its pid is gone, so the next worker is box again.
        await set('box', 'pid = $2', [deadPid()]);
        expect(await claimWorkerName(store, 'box')).toBe('box');
        // box-2 stopped (drained), box-3 stopped beating long ago (its pid since reused).
        await set('box-2', 'stopped_at = now()');
        await set('box-3', "heartbeat_at = now() - interval '1 hour'");
        expect(await claimWorkerName(store, 'box')).toBe('box-2');
        expect(await claimWorkerName(store, 'box')).toBe('box-3');
        // The orphans' markers of a previous life survive the claim, for the worker to end them.
        await set('box-3', `markers = '["m1"]'`);
        await set('box-3', 'pid = $2', [deadPid()]);
        expect(await claimWorkerName(store, 'box')).toBe('box-3');
        const [row] = await db.query<{ markers: unknown }>(
          `SELECT markers FROM ${store.table('workers')} WHERE name = 'box-3'`,
        );
        expect(typeof row?.markers === 'string' ? JSON.parse(row.markers) : row?.markers).toEqual([
          'm1',
        ]);
        // Another host's names are not this host's business; a LIKE pattern in a host name is literal.
        expect(await claimWorkerName(store, 'b_x')).toBe('b_x');
        expect(await claimWorkerName(store, 'other')).toBe('other');
      } finally {
        await store.close();
        await cleanup();
      }
    }, 120_000);
  });
}
