export { CloneHeldError, holdClone } from './clone-hold.js';
export { openDatabase, redactUrl } from './connect.js';
export type { Database, Queryable } from './db.js';
export { DEFAULT_SCHEMA, MIGRATIONS, migrate } from './migrations.js';
export { PgDatabase } from './pg-database.js';
export { PgliteDatabase } from './pglite-database.js';
export {
  PostgresStore,
  type PostgresStoreOptions,
  type SprintContext,
  type WorkerInfo,
} from './postgres-store.js';
export {
  ensureQueue,
  queueFor,
  startTaskQueue,
  type TaskJob,
  type TaskJobOutput,
  type TaskQueueOptions,
} from './task-queue.js';
export { TaskWorker, type TaskWorkerOptions } from './task-worker.js';
export { type DispatchOptions, WorkerDispatchAgent } from './worker-dispatch-agent.js';
export { claimWorkerName } from './worker-name.js';
export {
  integratedBranch,
  type TaskLanding,
  WorkerRepo,
  type WorkerRepoOptions,
} from './worker-repo.js';
