// End-to-end dispatch to workers (pg-boss): the runner (SprintRunner +
// WorkerDispatchAgent) hands out noop tasks to 1, 4 and 8 workers (`TaskWorker`,
// one task at a time each) and decides every outcome. On the PostgreSQL server
// of SPRINT_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test)
// the workers are separate processes; PGlite is one process's, so there they
// run in the runner's process. Private schemas, dropped at the end.
//
// Sizes: SPRINT_BENCH_DISPATCH_TASKS (default "250,1000"; the 10000
// takes about ten minutes per row on a loaded 2-core machine), worker counts:
// SPRINT_BENCH_WORKERS (default "1,4,8"), databases: SPRINT_BENCH_DATABASES
// (default "postgres,pglite"). Per row: tasks/s (claims handed out and done
// per second), the wall time per task, the dispatch round trip (job sent to
// result read) and the runner's own overhead per task (its slots' time not
// spent waiting for a worker: claims, events, decisions). Then, per database
// and worker count, how the wall time per task grew from the smallest size
// to the largest (1.00 = no growth).
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { AgentRegistry, NoopAgent, SprintRunner } from '@sprint/core';
import {
  openDatabase,
  PostgresStore,
  startTaskQueue,
  TaskWorker,
  WorkerDispatchAgent,
} from '../dist/index.js';
import { benchTasks } from './bench-tasks.mjs';

const url = process.env.SPRINT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const list = (name, fallback) => (process.env[name] ?? fallback).split(',').map((s) => s.trim());

if (process.argv[2] === '--child') {
  const schema = process.argv[3];
  const store = await PostgresStore.open({ db: await openDatabase(url), schema });
  const boss = await startTaskQueue(store, { connectionString: url });
  const worker = new TaskWorker({
    store,
    boss,
    agents: { noop: new NoopAgent() },
    name: process.argv[4],
  });
  await worker.start();
  process.send?.('ready');
  process.on('SIGTERM', async () => {
    await worker.drain();
    await store.close();
    process.exit(0);
  });
} else {
  const sizes = list('SPRINT_BENCH_DISPATCH_TASKS', '250,1000').map(Number);
  const counts = list('SPRINT_BENCH_WORKERS', '1,4,8').map(Number);
  const databases = list('SPRINT_BENCH_DATABASES', 'postgres,pglite');

  /** w worker processes on the server; resolves to their stopper once all listen. */
  async function processWorkers(schema, w) {
    const children = [];
    const stop = async () => {
      for (const c of children) c.kill('SIGTERM');
      await Promise.all(
        children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)),
      );
    };
    try {
      for (let k = 0; k < w; k++) {
        const child = fork(fileURLToPath(import.meta.url), ['--child', schema, `bw${k}`]);
        children.push(child);
        await new Promise((resolve, reject) => {
          child.once('message', resolve);
          child.once('exit', (code) => reject(new Error(`worker exited ${code}`)));
        });
      }
    } catch (error) {
      await stop();
      throw error;
    }
    return stop;
  }

  /** w workers in this process (PGlite), each with its own pg-boss. */
  async function inProcessWorkers(store, w) {
    const workers = [];
    for (let k = 0; k < w; k++) {
      const worker = new TaskWorker({
        store,
        boss: await startTaskQueue(store),
        agents: { noop: new NoopAgent() },
        name: `bw${k}`,
      });
      await worker.start();
      workers.push(worker);
    }
    return async () => {
      for (const worker of workers) await worker.drain();
    };
  }

  async function row(db, kind, n, w) {
    const schema = `benchw_${randomBytes(4).toString('hex')}`;
    const store = await PostgresStore.open({ db, schema });
    const boss = await startTaskQueue(store, kind === 'postgres' ? { connectionString: url } : {});
    const stopWorkers =
      kind === 'postgres' ? await processWorkers(schema, w) : await inProcessWorkers(store, w);
    try {
      const id = await store.create({ name: 'dispatch', tasks: benchTasks(n) });
      const dispatch = new WorkerDispatchAgent('noop', boss, store, { pollMs: 20 });
      let waited = 0;
      const timed = {
        name: 'noop',
        async run(ctx) {
          const t = performance.now();
          try {
            return await dispatch.run(ctx);
          } finally {
            waited += performance.now() - t;
          }
        },
      };
      const t = performance.now();
      const result = await new SprintRunner({
        store,
        agents: new AgentRegistry({ default: timed }),
      }).run(id, { concurrency: w, maxIterations: n + 10 });
      const ms = performance.now() - t;
      if (result.status !== 'completed') throw new Error(`runner ended ${result.status}`);
      return {
        perSec: (n / ms) * 1000,
        msPerTask: ms / n,
        roundTripMs: waited / n,
        runnerMs: (ms * w - waited) / n,
      };
    } finally {
      await stopWorkers();
      await boss.stop({ graceful: false }).catch(() => undefined);
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.query(`DROP SCHEMA IF EXISTS "${schema}_boss" CASCADE`);
    }
  }

  /** Median time of a one-row INSERT in its own transaction (autocommit). */
  async function commitLatency(db) {
    const table = `bench_commit_${randomBytes(4).toString('hex')}`;
    await db.query(`CREATE TABLE ${table} (a int)`);
    try {
      const times = [];
      for (let i = 0; i < 200; i++) {
        const t = performance.now();
        await db.query(`INSERT INTO ${table} VALUES (1)`);
        times.push(performance.now() - t);
      }
      return times.sort((a, b) => a - b)[times.length >> 1];
    } finally {
      await db.query(`DROP TABLE ${table}`);
    }
  }

  const names = { postgres: 'PostgreSQL', pglite: 'PGlite' };
  for (const kind of databases) {
    const db = await openDatabase(kind === 'postgres' ? url : 'pglite:memory');
    const perTask = new Map();
    try {
      // The floor under the runner's overhead: it commits twice per task
      // (claim, outcome), and each commit waits for the disk (fsync).
      const commitMs = await commitLatency(db);
      console.log(
        `${names[kind].padEnd(10)} one committed INSERT: ${commitMs.toFixed(2)} ms (the runner commits twice per task)`,
      );
      for (const n of sizes) {
        for (const w of counts) {
          const r = await row(db, kind, n, w);
          perTask.set(`${n}/${w}`, r.msPerTask);
          console.log(
            `${names[kind].padEnd(10)} ${String(n).padStart(5)} tasks, ${w} ${kind === 'postgres' ? 'worker process(es)' : 'in-process worker(s)'}: ${r.perSec.toFixed(1)} tasks/s, ${r.msPerTask.toFixed(1)} ms/task wall, dispatch round trip ${r.roundTripMs.toFixed(1)} ms, runner overhead ${r.runnerMs.toFixed(2)} ms/task = ${(r.runnerMs / commitMs).toFixed(1)} commits (target < 5 ms)`,
          );
        }
      }
    } finally {
      await db.close();
    }
    const [small, large] = [Math.min(...sizes), Math.max(...sizes)];
    if (small !== large) {
      for (const w of counts) {
        const growth = perTask.get(`${large}/${w}`) / perTask.get(`${small}/${w}`);
        console.log(
          `${names[kind].padEnd(10)} ${w} worker(s): wall per task at ${large} tasks / at ${small} = ${growth.toFixed(2)} (1.00 = no growth with sprint size)`,
        );
      }
    }
  }
}
