import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Agent,
  AgentRegistry,
  NoopAgent,
  type RunOptions,
  ShellAgent,
  SprintRunner,
  type Task,
} from '@sprint/core';
import pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from './connect.js';
import type { Database } from './db.js';
import { PgliteDatabase } from './pglite-database.js';
import { PostgresStore } from './postgres-store.js';
import { queueFor, sendTaskJob, startTaskQueue, type TaskJob } from './task-queue.js';
import { TaskWorker } from './task-worker.js';
import {
  openTestDatabase,
  startSharedPglite,
  testDatabases,
  uniqueSchema,
} from './test-database.js';
import { WorkerDispatchAgent } from './worker-dispatch-agent.js';

beforeAll(() => startSharedPglite(), 180_000);

function shellTask(id: string, command: string, dependsOn: string[] = []): Task {
  return {
    id,
    type: 'shell-step',
    priority: 'medium',
    dependsOn,
    fields: {},
    title: id,
    command,
  } as Task;
}

/**
 * Counts pg-boss's fetches (one per look of a worker slot, whether it finds a
 * job or not) that this process sends from now until `stop()`.
 */
function countFetches(db: Database): { fetches: () => number; stop: () => void } {
  let fetches = 0;
  const counted = (text: unknown) => {
    if (typeof text === 'string' && /^\s*WITH\s+next AS \(/.test(text)) fetches++;
  };
  if (db instanceof PgliteDatabase) {
    // pg-boss's PGlite adapter sends statements with parameters through query(), others through exec().
    const pglite = db.pglite;
    const { query, exec } = pglite;
    pglite.query = function (this: typeof pglite, text: string, ...rest: unknown[]) {
      counted(text);
      return (query as (...a: unknown[]) => unknown).call(this, text, ...rest);
    } as typeof query;
    pglite.exec = function (this: typeof pglite, text: string, ...rest: unknown[]) {
      counted(text);
      return (exec as (...a: unknown[]) => unknown).call(this, text, ...rest);
    } as typeof exec;
    const stop = () => {
      pglite.query = query;
      pglite.exec = exec;
    };
    return { fetches: () => fetches, stop };
  }
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, config: unknown, ...rest: unknown[]) {
    counted(typeof config === 'string' ? config : (config as { text?: string })?.text);
    return (query as (...a: unknown[]) => unknown).call(this, config, ...rest);
  } as typeof query;
  const stop = () => {
    pg.Client.prototype.query = query;
  };
  return { fetches: () => fetches, stop };
}

/** A job of the noop agent for the first attempt of `task`, in a new sprint of that one task. */
async function noopJob(store: PostgresStore, task: string): Promise<TaskJob> {
  const id = await store.create({ name: task, tasks: [shellTask(task, 'true')] });
  const { definition } = await store.load(id);
  return {
    sprintId: id,
    taskId: task,
    attempt: 1,
    agent: 'noop',
    context: {
      sprint: definition,
      task: definition.tasks[0] as Task,
      attempt: 1,
    } as unknown as TaskJob['context'],
  };
}

for (const { name, url } of testDatabases()) {
  describe(`workers on ${name}`, () => {
    async function setup() {
      const schema = uniqueSchema('workers');
      const { db, cleanup } = await openTestDatabase(url, schema);
      const store = await PostgresStore.open({ db, schema });
      const bosses: PgBoss[] = [];
      const boss = async () => {
        const b = await startTaskQueue(store, { connectionString: url });
        bosses.push(b);
        return b;
      };
      const dir = await mkdtemp(join(tmpdir(), 'sprint-workers-'));
      const quiet: TaskWorker[] = [];
      /** A started worker that never looks on its own (ten minutes apart): only wakes start its tasks. */
      const quietWorker = async (name: string, agents: Record<string, Agent>) => {
        const w = new TaskWorker({ store, boss: await boss(), name, agents, pollMs: 600_000 });
        await w.start();
        quiet.push(w);
        return w;
      };
      /** Runs sprint `id` with every task sent through `dispatch`. */
      const runThrough = (dispatch: Agent, id: string, options?: RunOptions) =>
        new SprintRunner({ store, agents: new AgentRegistry({ default: dispatch }) }).run(
          id,
          options,
        );
      /** Runs a new sprint of one shell task `task` through `dispatch`. */
      const runOne = async (dispatch: Agent, task: string, command = 'true') =>
        runThrough(dispatch, await store.create({ name: task, tasks: [shellTask(task, command)] }));
      return {
        store,
        boss,
        dir,
        runThrough,
        quietWorker,
        runOne,
        cleanup: async () => {
          for (const w of quiet) await w.drain();
          for (const b of bosses)
            await b.stop({ graceful: false, close: true }).catch(() => undefined);
          await store.close();
          if (db.kind === 'postgres')
            await db.query(`DROP SCHEMA IF EXISTS "${schema}_boss" CASCADE`);
          else await db.query(`DROP SCHEMA IF EXISTS "${schema}_boss" CASCADE`);
          await cleanup();
          await rm(dir, { recursive: true, force: true });
        },
      };
    }

    it('3 workers run 30 dependent shell tasks: each done exactly once, each side effect present', async () => {
      const { store, boss, runThrough, dir, cleanup } = await setup();
      const workers: TaskWorker[] = [];
      try {
        const tasks = Array.from({ length: 30 }, (_, i) =>
          shellTask(
            `t${i}`,
            // Appends: a task run twice would leave two lines. Dependencies checked by the file of the task before.
            `${i >= 3 ? `test -f ${dir}/t${i - 3} && ` : ''}echo "$SPRINT_WORKER_MARK" >> ${dir}/t${i}`,
            i >= 3 ? [`t${i - 3}`] : [],
          ),
        );
        const id = await store.create({ name: 'Many workers', tasks });
        for (const n of [1, 2, 3]) {
          const w = new TaskWorker({
            store,
            boss: await boss(),
            name: `w${n}`,
            agents: {
              shell: new ShellAgent({ env: { ...process.env, SPRINT_WORKER_MARK: `w${n}` } }),
            },
            concurrency: 2,
            pollMs: 500,
          });
          await w.start();
          workers.push(w);
        }
        const dispatch = new WorkerDispatchAgent('shell', await boss(), store);
        const result = await runThrough(dispatch, id, { concurrency: 6, maxIterations: 100 });
        expect(result.status, JSON.stringify(result.stopReason)).toBe('completed');
        const { state } = await store.load(id);
        for (const t of tasks) {
          expect(state.tasks[t.id]?.status).toBe('done');
          expect(state.tasks[t.id]?.attempts).toHaveLength(1);
          expect(readFileSync(join(dir, t.id), 'utf8').trim().split('\n')).toHaveLength(1);
        }
        expect(readdirSync(dir)).toHaveLength(30);
        const by = new Set(tasks.map((t) => readFileSync(join(dir, t.id), 'utf8').trim()));
        // Spread over more than one worker (three take from one queue).
        expect(by.size).toBeGreaterThan(1);
        // Each result was recorded in the statement that took its task off the worker's row.
        const listed = await store.listWorkers();
        expect(listed.map((w) => [w.name, w.tasks]).sort()).toEqual([
          ['w1', []],
          ['w2', []],
          ['w3', []],
        ]);
      } finally {
        for (const w of workers) await w.drain();
        await cleanup();
      }
    }, 300_000);

    it("the runner hears each worker's result when it is recorded, not at its next poll", async () => {
      const { store, boss, runThrough, dir, cleanup } = await setup();
      const worker = new TaskWorker({
        store,
        boss: await boss(),
        name: 'prompt',
        agents: { shell: new ShellAgent() },
        pollMs: 500,
      });
      try {
        await worker.start();
        const id = await store.create({
          name: 'Prompt results',
          tasks: [
            shellTask('first', `echo 1 > ${dir}/first`),
            shellTask('second', `echo 2 > ${dir}/second`, ['first']),
          ],
        });
        // A poll ten minutes apart: only the worker's notification can end each wait in time.
        const dispatch = new WorkerDispatchAgent('shell', await boss(), store, { pollMs: 600_000 });
        const result = await runThrough(dispatch, id);
        expect(result.status).toBe('completed');
        expect(readdirSync(dir).sort()).toEqual(['first', 'second']);
      } finally {
        await worker.drain();
        await cleanup();
      }
    }, 120_000);

    it('an idle worker takes each task when it is sent, not at its next poll, also on a queue made without NOTIFY', async () => {
      const { store, boss, runThrough, dir, cleanup } = await setup();
      // The queue as an earlier version made it: its jobs carried no NOTIFY.
      const early = await boss();
      await early.createQueue(queueFor('shell'), {
        retryLimit: 0,
        heartbeatSeconds: 10,
        expireInSeconds: 24 * 3600,
      });
      const worker = new TaskWorker({
        store,
        boss: await boss(),
        name: 'woken',
        agents: { shell: new ShellAgent() },
        // Ten minutes between looks: only the NOTIFY of each sent job can start it in time.
        pollMs: 600_000,
      });
      try {
        await worker.start();
        const id = await store.create({
          name: 'Woken',
          tasks: [
            shellTask('first', `echo 1 > ${dir}/first`),
            shellTask('second', `echo 2 > ${dir}/second`, ['first']),
          ],
        });
        const dispatch = new WorkerDispatchAgent('shell', await boss(), store);
        const result = await runThrough(dispatch, id);
        expect(result.status).toBe('completed');
        expect(readdirSync(dir).sort()).toEqual(['first', 'second']);
      } finally {
        await worker.drain();
        await cleanup();
      }
    }, 120_000);

    it('a busy worker takes the tasks sent meanwhile as soon as it is free, not at its next poll', async () => {
      const { store, boss, runThrough, dir, cleanup } = await setup();
      const worker = new TaskWorker({
        store,
        boss: await boss(),
        name: 'busy',
        agents: { shell: new ShellAgent() },
        concurrency: 2,
        pollMs: 600_000,
      });
      try {
        await worker.start();
        // Five at once for two slots: three are sent while both slots are busy.
        const tasks = ['t1', 't2', 't3', 't4', 't5'].map((t) =>
          shellTask(t, `echo ${t} > ${dir}/${t}`),
        );
        const id = await store.create({ name: 'Backlog', tasks });
        const dispatch = new WorkerDispatchAgent('shell', await boss(), store);
        const result = await runThrough(dispatch, id, { concurrency: 5 });
        expect(result.status).toBe('completed');
        expect(readdirSync(dir).sort()).toEqual(['t1', 't2', 't3', 't4', 't5']);
      } finally {
        await worker.drain();
        await cleanup();
      }
    }, 120_000);

    it('a sent job wakes one slot of one worker process, not one of every process', async () => {
      const { store, boss, runThrough, quietWorker, cleanup } = await setup();
      try {
        // No looks of their own: each fetch counted is a wake.
        for (const n of [1, 2, 3, 4]) await quietWorker(`w${n}`, { noop: new NoopAgent() });
        // A chain, so each job is sent after the result before it: one job waiting at a time.
        const tasks = Array.from({ length: 12 }, (_, i) =>
          shellTask(`t${i}`, 'true', i > 0 ? [`t${i - 1}`] : []),
        );
        const id = await store.create({ name: 'One wake per job', tasks });
        // Only results end the waits (no looks that could wake every worker for a job).
        const dispatch = new WorkerDispatchAgent('noop', await boss(), store, {
          pollMs: 600_000,
          namedWaitMs: 600_000,
        });
        const counter = countFetches(store.db);
        try {
          const result = await runThrough(dispatch, id);
          expect(result.status).toBe('completed');
        } finally {
          counter.stop();
        }
        // The first job wakes a slot in each of the 4 (no worker has returned a result yet),
        // each later one the worker that returned the last result; the slots' first looks at
        // start may fall in too. Every process woken for every job would make 4 x 12 = 48.
        expect(counter.fetches()).toBeLessThanOrEqual(tasks.length + 2 * 4);
        expect(counter.fetches()).toBeGreaterThanOrEqual(tasks.length);
      } finally {
        await cleanup();
      }
    }, 120_000);

    it('a job named for a worker that has gone is taken by another at once, not at its next poll', async () => {
      const { store, boss, quietWorker, runOne, cleanup } = await setup();
      try {
        const dispatch = new WorkerDispatchAgent('noop', await boss(), store, { pollMs: 600_000 });
        const gone = await quietWorker('gone', { noop: new NoopAgent() });
        // Its result makes it the worker the next job is named for.
        expect((await runOne(dispatch, 'first')).status).toBe('completed');
        await gone.drain();
        await quietWorker('other', { noop: new NoopAgent() });
        const t = Date.now();
        expect((await runOne(dispatch, 'second')).status).toBe('completed');
        // Named for 'gone', looked at after 250 ms and handed to any: not the 10 minutes of a poll.
        expect(Date.now() - t).toBeLessThan(30_000);
      } finally {
        await cleanup();
      }
    }, 120_000);

    it('a job named for a worker with no slot free is handed on to a worker that has one', async () => {
      const { store, boss, dir, quietWorker, runOne, cleanup } = await setup();
      let long: Promise<unknown> | undefined;
      try {
        // No looks of the runner's own: only the full worker handing the job on can start it.
        const dispatch = new WorkerDispatchAgent('shell', await boss(), store, {
          pollMs: 600_000,
          namedWaitMs: 600_000,
        });
        const full = await quietWorker('full', { shell: new ShellAgent() });
        expect((await runOne(dispatch, 'first')).status).toBe('completed');
        // Another sprint's task fills its one slot until the file appears.
        long = runOne(
          new WorkerDispatchAgent('shell', await boss(), store),
          'long',
          `while [ ! -f ${dir}/go ]; do sleep 0.05; done`,
        );
        await expect.poll(() => full.running.length, { timeout: 60_000 }).toBe(1);
        await quietWorker('free', { shell: new ShellAgent() });
        const t = Date.now();
        expect((await runOne(dispatch, 'second')).status).toBe('completed');
        expect(Date.now() - t).toBeLessThan(30_000);
      } finally {
        writeFileSync(join(dir, 'go'), '');
        await long;
        await cleanup();
      }
    }, 120_000);

    it("a runner's pg-boss has its job table vacuumed after every 1,000 dead rows, whatever the table's size", async () => {
      const { store, boss, cleanup } = await setup();
      try {
        await boss();
        // Twice: a second runner finds it set and leaves it.
        await boss();
        const [row] = await store.db.query<{ reloptions: string[] | null }>(
          'SELECT reloptions FROM pg_class WHERE oid = $1::regclass',
          [`${store.schema}_boss.job_common`],
        );
        expect(row?.reloptions).toEqual(
          expect.arrayContaining([
            'autovacuum_vacuum_scale_factor=0',
            'autovacuum_vacuum_threshold=1000',
          ]),
        );
      } finally {
        await cleanup();
      }
    }, 120_000);

    it('a job whose wake was lost is taken by the next look of an idle worker, within pollMs', async () => {
      const { store, boss, cleanup } = await setup();
      const queueBoss = await boss();
      const worker = new TaskWorker({
        store,
        boss: await boss(),
        name: 'looks',
        agents: { noop: new NoopAgent() },
        pollMs: 1_000,
      });
      try {
        await worker.start();
        const job = await noopJob(store, 'lost');
        // pg-boss's own send: no NOTIFY at all, as if the worker's listening connection missed it.
        const jobId = await queueBoss.send(queueFor('noop'), job as unknown as object);
        if (!jobId) throw new Error('not sent');
        // pg-boss's own poll of each slot comes once a minute: only the worker's look takes it in time.
        await expect
          .poll(async () => (await queueBoss.getJobById(queueFor('noop'), jobId))?.state, {
            timeout: 20_000,
            interval: 100,
          })
          .toBe('completed');
      } finally {
        await worker.drain();
        await cleanup();
      }
    }, 120_000);

    it.runIf(name === 'PostgreSQL')(
      "a job whose wake is lost while the worker's listening connection is cut is taken when it is back, not at its next poll",
      async () => {
        const { store, boss, cleanup } = await setup();
        // The worker's own connections, under a name of their own: the cut reaches them alone.
        const app = `cut_${randomUUID().slice(0, 8)}`;
        const db = await openDatabase(
          `${url}${url.includes('?') ? '&' : '?'}application_name=${app}`,
        );
        const workerStore = await PostgresStore.open({ db, schema: store.schema });
        const worker = new TaskWorker({
          store: workerStore,
          boss: await boss(),
          name: 'cut',
          agents: { noop: new NoopAgent() },
          pollMs: 600_000,
        });
        try {
          await worker.start();
          const job = await noopJob(store, 'cut');
          const [cut] = await store.db.query<{ n: number }>(
            `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
              WHERE application_name = $1 AND query LIKE 'LISTEN%'`,
            [app],
          );
          expect(cut?.n).toBe(1);
          // At once, before the listener is back (it waits 100 ms): its NOTIFY goes nowhere.
          const queueBoss = await boss();
          const jobId = randomUUID();
          await sendTaskJob(queueBoss, store, queueFor('noop'), job, jobId, undefined);
          await expect
            .poll(async () => (await queueBoss.getJobById(queueFor('noop'), jobId))?.state, {
              timeout: 30_000,
              interval: 100,
            })
            .toBe('completed');
        } finally {
          await worker.drain();
          await workerStore.close();
          await cleanup();
        }
      },
      120_000,
    );

    it('a draining worker gives its running task back, and another worker finishes it', async () => {
      const { store, boss, runThrough, dir, cleanup } = await setup();
      const workers: TaskWorker[] = [];
      try {
        const id = await store.create({
          name: 'Drain',
          tasks: [
            shellTask(
              'slow',
              `echo "$SPRINT_WORKER_MARK" >> ${dir}/runs; if [ "$SPRINT_WORKER_MARK" = first ]; then sleep 600; fi; echo done > ${dir}/slow`,
            ),
          ],
        });
        const first = new TaskWorker({
          store,
          boss: await boss(),
          name: 'first',
          agents: {
            shell: new ShellAgent({ env: { ...process.env, SPRINT_WORKER_MARK: 'first' } }),
          },
          pollMs: 500,
        });
        await first.start();
        workers.push(first);
        const dispatch = new WorkerDispatchAgent('shell', await boss(), store);
        const run = runThrough(dispatch, id);
        await expect.poll(() => first.running.length, { timeout: 60_000 }).toBe(1);
        const second = new TaskWorker({
          store,
          boss: await boss(),
          name: 'second',
          agents: {
            shell: new ShellAgent({ env: { ...process.env, SPRINT_WORKER_MARK: 'second' } }),
          },
          pollMs: 500,
        });
        await second.start();
        workers.push(second);
        await first.drain();
        const result = await run;
        expect(result.status).toBe('completed');
        expect(readFileSync(join(dir, 'runs'), 'utf8').trim().split('\n')).toEqual([
          'first',
          'second',
        ]);
        const { state } = await store.load(id);
        // Given back, not failed: one attempt as far as the sprint is concerned.
        expect(state.tasks.slow?.attempts).toHaveLength(1);
        // And the run's log says so.
        const said = (await store.readEvents(id)).flatMap((e) =>
          e.type === 'agent-activity' && e.activity.kind === 'text' ? [e.activity.text] : [],
        );
        expect(said).toContainEqual(
          expect.stringMatching(/^worker first gave the task back: .+; it goes back to the queue$/),
        );
      } finally {
        for (const w of workers) await w.drain();
        await cleanup();
      }
    }, 300_000);
  });
}
