import { createHash } from 'node:crypto';
import type { AgentContext, AgentResult } from '@sprint/core';
import { type ConstructorOptions, PgBoss } from 'pg-boss';
import { PgliteDatabase } from './pglite-database.js';
import type { PostgresStore } from './postgres-store.js';
import { PreparingClient } from './prepared-client.js';

/** The queue that carries tasks for one agent, by its name. */
export function queueFor(agent: string): string {
  return `sprint-task-${agent}`;
}

/** What a worker needs to run one attempt of a task: the agent's context without its callbacks. */
export interface TaskJob {
  sprintId: string;
  taskId: string;
  attempt: number;
  agent: string;
  context: Omit<AgentContext, 'signal' | 'emit' | 'setPid'>;
}

/** What the worker reports back: the agent's result, or that it gave the task back (drain). */
export type TaskJobOutput =
  | { kind: 'result'; result: AgentResult; worker: string }
  | { kind: 'returned'; worker: string; reason: string };

export interface TaskQueueOptions {
  /**
   * Seconds without a heartbeat after which a task's job counts as lost (its
   * worker died) and the task is retried elsewhere. pg-boss accepts 10 and more; default 10.
   */
  heartbeatSeconds?: number;
  /** How often lost jobs are looked for (seconds, default 5). */
  monitorSeconds?: number;
}

/**
 * pg-boss on the store's database (its own schema beside the store's):
 * dispatch, heartbeats and expiry of task jobs. Sprint state stays in the
 * store; a job only carries one attempt to a worker and its result back.
 * Each job sent fires a NOTIFY on `jobsChannel(store)` in the send's own
 * statement (`sendTaskJob`): workers hear it on the connection they
 * already listen on.
 */
export async function startTaskQueue(
  store: PostgresStore,
  options: TaskQueueOptions & {
    connectionString?: string;
    /**
     * Whether this instance looks for lost jobs and does pg-boss's upkeep,
     * every `monitorSeconds` (default true: a runner's, which waits for the
     * jobs). A process that only works jobs (`sprint worker`) leaves it to
     * the runners: a hundred workers would each run it every 5 s.
     */
    supervise?: boolean;
  } = {},
): Promise<PgBoss> {
  const common = {
    schema: bossSchema(store),
    supervise: options.supervise ?? true,
    monitorIntervalSeconds: options.monitorSeconds ?? 5,
    superviseIntervalSeconds: options.monitorSeconds ?? 5,
  };
  let boss: PgBoss;
  if (store.db instanceof PgliteDatabase) {
    const { fromPglite } = await import('pg-boss');
    boss = new PgBoss({ ...common, backend: 'pglite', db: fromPglite(store.db.pglite) });
  } else {
    if (!options.connectionString)
      throw new Error('startTaskQueue: a PostgreSQL server needs connectionString');
    boss = new PgBoss({
      ...common,
      connectionString: options.connectionString,
      max: 4,
      // pg-boss hands its options to its pg pool: its statements are prepared once per connection too.
      Client: PreparingClient,
    } as ConstructorOptions);
  }
  boss.on('error', () => undefined);
  await boss.start();
  if (common.supervise) await vacuumOften(boss, common.schema);
  return boss;
}

/**
 * pg-boss's fetch reads its partial index of waiting jobs (`job_i11`), where
 * each job taken leaves an entry until the table is vacuumed. Autovacuum's
 * default waits for 20% of the table to be dead, a wait that grows with the
 * table, and meanwhile each fetch read about one more index page per 1,000
 * jobs done (measured: 1 page at 1,000 jobs, 11 at 10,000, 31 at 30,000; 1
 * again after a VACUUM): a sprint's per-task cost grew with its size. The
 * job table is vacuumed after every 1,000 dead rows instead, whatever its
 * size. (PGlite has no autovacuum: a no-op there.)
 */
async function vacuumOften(boss: PgBoss, schema: string): Promise<void> {
  const table = `${schema}.job_common`;
  const options = ['autovacuum_vacuum_scale_factor=0', 'autovacuum_vacuum_threshold=1000'];
  // Looked at first: the ALTER takes a lock that waits for a running VACUUM.
  await boss.getDb().executeSql(`DO $$ BEGIN
    IF to_regclass('${table}') IS NOT NULL AND NOT EXISTS (
      SELECT 1 FROM pg_class WHERE oid = '${table}'::regclass AND reloptions @> ARRAY['${options.join("','")}']
    ) THEN
      ALTER TABLE ${table} SET (${options.join(', ')});
    END IF;
  END $$`);
}

function bossSchema(store: PostgresStore): string {
  return `${store.schema}_boss`;
}

/**
 * The NOTIFY channel that wakes workers for jobs sent on the store's queues
 * (pg-boss's name for its own: 'pgboss_' and 24 hex digits of the SHA-224
 * of its schema). Payload: the queue's name (any worker may take the job)
 * or `{"queue":..,"worker":..}` (the worker named wakes; see `sendTaskJob`).
 */
export function jobsChannel(store: PostgresStore): string {
  return `pgboss_${createHash('sha224').update(bossSchema(store)).digest('hex').slice(0, 24)}`;
}

/** A job's wake-up as workers read it: `worker` undefined = any worker; queue '' = look at every queue. */
export function parseWake(payload: string): { queue: string; worker?: string } {
  if (!payload.startsWith('{')) return { queue: payload };
  try {
    const { queue, worker } = JSON.parse(payload) as { queue?: unknown; worker?: unknown };
    if (typeof queue === 'string' && typeof worker === 'string') return { queue, worker };
  } catch {
    // Not ours: looked at as a wake of every queue.
  }
  return { queue: '' };
}

/** Wakes one idle slot in every worker process serving `queue` (a job nobody was named for). */
export async function wakeAny(store: PostgresStore, queue: string): Promise<void> {
  await store.db.query('SELECT pg_notify($1, $2)', [jobsChannel(store), queue]);
}

/**
 * Sends `data` as a job on `queue` with id `id`, and in the same statement
 * the NOTIFY that wakes `worker` alone (or, with none, one slot of every
 * worker process). Resolves to the id, or null when a job of that id
 * exists already (a send retried after a lost answer).
 */
export async function sendTaskJob(
  boss: PgBoss,
  store: PostgresStore,
  queue: string,
  data: TaskJob,
  id: string,
  worker: string | undefined,
): Promise<string | null> {
  const payload = worker === undefined ? queue : JSON.stringify({ queue, worker });
  const db = boss.getDb();
  return boss.send(queue, data as unknown as object, {
    id,
    db: {
      // pg-boss's insert of the job (a queue without its own `notify`), with our NOTIFY beside it:
      // one statement, so the job and its wake-up commit together.
      executeSql: (text: string, values: unknown[] = []) =>
        /^\s*INSERT\b/i.test(text)
          ? db.executeSql(
              `WITH sent AS (${text}), woke AS (SELECT pg_notify($${values.length + 1}, $${values.length + 2}) FROM sent LIMIT 1)
               SELECT sent.* FROM sent LEFT JOIN woke ON true`,
              [...values, jobsChannel(store), payload],
            )
          : db.executeSql(text, values),
    },
  });
}

/** The queues a pg-boss instance has made sure of: asked for once, not at every task. */
const ensured = new WeakMap<PgBoss, Map<string, Promise<void>>>();

/**
 * Creates the queue for `agent` if missing: no retries of its own (the
 * runner decides retries), heartbeats on, and no NOTIFY of pg-boss's own
 * (`sendTaskJob` sends one naming the worker to wake). Once per pg-boss
 * instance and agent.
 */
export function ensureQueue(
  boss: PgBoss,
  agent: string,
  options: TaskQueueOptions = {},
): Promise<void> {
  let queues = ensured.get(boss);
  if (!queues) {
    queues = new Map();
    ensured.set(boss, queues);
  }
  let ready = queues.get(agent);
  if (!ready) {
    ready = createQueue(boss, queueFor(agent), options);
    queues.set(agent, ready);
    // A failure (the database away) is asked again next time.
    ready.catch(() => queues.delete(agent));
  }
  return ready;
}

async function createQueue(boss: PgBoss, name: string, options: TaskQueueOptions): Promise<void> {
  const existing = await boss.getQueue(name);
  // A queue made when pg-boss's NOTIFY woke every worker loses it: a job then wakes one.
  if (existing) {
    if (existing.notify) await boss.updateQueue(name, { notify: false });
    return;
  }
  await boss
    .createQueue(name, {
      retryLimit: 0,
      heartbeatSeconds: options.heartbeatSeconds ?? 10,
      expireInSeconds: 24 * 3600,
    })
    .catch(async (error) => {
      // Another process created it first.
      const made = await boss.getQueue(name);
      if (!made) throw error;
      if (made.notify) await boss.updateQueue(name, { notify: false });
    });
}
