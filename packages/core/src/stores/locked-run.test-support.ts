import { hostname } from 'node:os';
import type { SprintDirectoryStore } from './sprint-directory-store.js';

/** Sprint `id` locked by run r1 of this process, and under way. (Tests only; not built.) */
export async function startRun(store: SprintDirectoryStore, id: string) {
  const lock = await store.acquireLock(id, {
    pid: process.pid,
    host: hostname(),
    runId: 'r1',
    startedAt: new Date().toISOString(),
  });
  await store.append(id, [{ type: 'sprint-status', from: 'not-started', to: 'in-progress' }]);
  return lock;
}
