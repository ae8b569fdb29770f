// End-to-end dispatch to workers (pg-boss): the runner (SprintRunner +
// WorkerDispatchAgent) hands out noop tasks to 1, 4 and 8 workers (`TaskWorker`,
// one task at a time each) and decides every outcome. On the PostgreSQL server
// of SPRINT_TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test)
// the workers are separate processes; PGlite is one process's, so there they
// run in the runner's process. Private schemas, dropped at the end.
//
// Sizes: SPRINT_BENCH_DISPATCH_TASKS (default "250,1000"; the issue's 10000
// takes about ten minutes per row on a loaded 2-core machine), worker counts:
// SPRINT_BENCH_WORKERS (default "1,4,8"), task slots per worker:
// SPRINT_BENCH_SLOTS (default 1; `sprint worker --concurrency`, the runner
// runs workers x slots at once), databases: SPRINT_BENCH_DATABASES
// (default "postgres,pglite"). Per row: tasks/s (claims handed out and done
// per second), the wall time per task, the dispatch round trip (job sent to
// result read) and the runner's own overhead per task (its slots' time not
// spent waiting for a worker: claims, events, decisions). Then, per database
// and worker count, how the wall time per task grew from the smallest size
// to the largest (1.00 = no growth).
//
// CPU per task, by party, which stays meaningful on a loaded machine: the
// runner process, the worker processes, and the PostgreSQL backends serving
// each (found by application_name; PGlite is inside the runner's process),
// with the whole machine's busy share over the row. Then the statements
// (round trips) per task each party sent, by kind (PostgreSQL, at the
// fewest and the most workers), and where throughput stops growing with
// workers and what was saturated there.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
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
import {
  addCounts,
  backendCpu,
  busyShare,
  countStatements,
  machineTimes,
  ownCpuMs,
} from './cpu.mjs';

const server = process.env.SPRINT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** The server's URL with an application_name, so the bench finds its backends. */
const asApp = (app) => `${server}${server.includes('?') ? '&' : '?'}application_name=${app}`;
const takeCounts = countStatements();
const slots = Number(process.env.SPRINT_BENCH_SLOTS ?? 1);
const f2 = (x) => x.toFixed(2);
const list = (name, fallback) => (process.env[name] ?? fallback).split(',').map((s) => s.trim());

if (process.argv[2] === '--child') {
  const schema = process.argv[3];
  const url = asApp(process.argv[5]);
  const store = await PostgresStore.open({ db: await openDatabase(url), schema });
  const boss = await startTaskQueue(store, { connectionString: url, supervise: false });
  const worker = new TaskWorker({
    store,
    boss,
    agents: { noop: new NoopAgent() },
    name: process.argv[4],
    concurrency: slots,
  });
  await worker.start();
  // CPU and statements from here on: the parent asks for them when the run ends.
  let cpu = process.cpuUsage();
  takeCounts();
  process.on('message', (m) => {
    if (m !== 'report') return;
    process.send?.({ cpuMs: ownCpuMs(cpu), statements: takeCounts() });
    cpu = process.cpuUsage();
  });
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
  const cores = availableParallelism();
  // The application_names of the runner's and the workers' connections, to find their backends.
  const app = `sprint-bench-${process.pid}`;
  const runnerApp = `${app}-runner`;
  const workersApp = `${app}-workers`;

  /** w worker processes on the server, started and listening; report() asks for their CPU and statements. */
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
        const child = fork(fileURLToPath(import.meta.url), [
          '--child',
          schema,
          `bw${k}`,
          workersApp,
        ]);
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
    const report = async () => {
      const reports = await Promise.all(
        children.map((c) => {
          const answer = new Promise((r) => c.once('message', r));
          c.send('report');
          return answer;
        }),
      );
      return {
        cpuMs: reports.reduce((sum, r) => sum + r.cpuMs, 0),
        statements: reports.reduce((all, r) => addCounts(all, r.statements), {}),
      };
    };
    return { stop, report };
  }

  /** w workers in this process (PGlite), each with its own pg-boss: their CPU is the runner process's. */
  async function inProcessWorkers(store, w) {
    const workers = [];
    for (let k = 0; k < w; k++) {
      const worker = new TaskWorker({
        store,
        boss: await startTaskQueue(store, { supervise: false }),
        agents: { noop: new NoopAgent() },
        name: `bw${k}`,
        concurrency: slots,
      });
      await worker.start();
      workers.push(worker);
    }
    return {
      stop: async () => {
        for (const worker of workers) await worker.drain();
      },
      report: async () => undefined,
    };
  }

  async function row(db, kind, n, w) {
    const schema = `benchw_${randomBytes(4).toString('hex')}`;
    const store = await PostgresStore.open({ db, schema });
    const boss = await startTaskQueue(
      store,
      kind === 'postgres' ? { connectionString: asApp(runnerApp) } : {},
    );
    const workers =
      kind === 'postgres' ? await processWorkers(schema, w) : await inProcessWorkers(store, w);
    try {
      const id = await store.create({ name: 'dispatch', tasks: benchTasks(n) });
      // As `sprint run --workers` makes it: woken by each result, polling only as a fallback.
      const dispatch = new WorkerDispatchAgent('noop', boss, store);
      let waited = 0;
      // When each task's result came back, to see whether the run slows down as the tables grow.
      const ends = [];
      const timed = {
        name: 'noop',
        async run(ctx) {
          const t = performance.now();
          try {
            return await dispatch.run(ctx);
          } finally {
            waited += performance.now() - t;
            ends.push(performance.now());
          }
        },
      };
      const backends = kind === 'postgres' ? await backendCpu(server, app) : undefined;
      takeCounts();
      const cpu = process.cpuUsage();
      const machine = machineTimes();
      const t = performance.now();
      const result = await new SprintRunner({
        store,
        agents: new AgentRegistry({ default: timed }),
      }).run(id, { concurrency: w * slots, maxIterations: n + 10 });
      const ms = performance.now() - t;
      const runnerCpu = ownCpuMs(cpu);
      const busy = busyShare(machine, machineTimes());
      const runnerStatements = takeCounts();
      const reported = await workers.report();
      const pg = (await backends?.stop()) ?? {};
      if (result.status !== 'completed') throw new Error(`runner ended ${result.status}`);
      const perTask = (counts) =>
        Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v / n]));
      const tenth = Math.floor(ends.length / 10);
      const tenths = Array.from({ length: 10 }, (_, i) => {
        const from = i === 0 ? t : ends[i * tenth - 1];
        return (tenth / (ends[(i + 1) * tenth - 1] - from)) * 1000;
      });
      const serverOwn = Object.entries(pg)
        .filter(([k]) => k.startsWith('server:'))
        .map(([k, v]) => [k.slice('server:'.length), v / n]);
      return {
        tenths,
        server: serverOwn,
        perSec: (n / ms) * 1000,
        msPerTask: ms / n,
        roundTripMs: waited / n,
        runnerMs: (ms * w * slots - waited) / n,
        busy,
        cpu: {
          runner: runnerCpu / n,
          workers: reported ? reported.cpuMs / n : undefined,
          pgRunner: kind === 'postgres' ? (pg[runnerApp] ?? 0) / n : undefined,
          pgWorkers: kind === 'postgres' ? (pg[workersApp] ?? 0) / n : undefined,
        },
        statements: {
          runner: perTask(runnerStatements),
          workers: reported ? perTask(reported.statements) : undefined,
        },
      };
    } finally {
      await workers.stop();
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

  const sum = (xs) => xs.reduce((a, b) => a + (b ?? 0), 0);
  const total = (c) => sum([c.runner, c.workers, c.pgRunner, c.pgWorkers]);
  const f1 = (x) => x.toFixed(1);
  const pct = (x) => `${(x * 100).toFixed(0)}%`;

  /** "runner 3.1 ms, workers 4.2 ms, PostgreSQL 6.0 ms (2.5 for the runner, 3.5 for the workers)" */
  function cpuSplit(c) {
    if (c.workers === undefined)
      return `the one process (runner, workers, PGlite) ${f1(c.runner)} ms`;
    return `runner ${f1(c.runner)} ms, workers ${f1(c.workers)} ms, PostgreSQL ${f1(c.pgRunner + c.pgWorkers)} ms (${f1(c.pgRunner)} serving the runner, ${f1(c.pgWorkers)} the workers)`;
  }

  /** pg-boss's fetch (one per look of a worker slot, whether it finds a job or not), per task. */
  const fetches = (perTask) =>
    sum(Object.entries(perTask).map(([kind, n]) => (kind.startsWith('WITH next AS') ? n : 0)));

  function printStatements(label, perTask) {
    const entries = Object.entries(perTask).sort((a, b) => b[1] - a[1]);
    console.log(`  ${label}: ${sum(entries.map((e) => e[1])).toFixed(1)} statements per task`);
    for (const [kind, count] of entries.filter((e) => e[1] >= 0.05)) {
      console.log(`    ${count.toFixed(2).padStart(6)}  ${kind}`);
    }
  }

  /** Where tasks/s stops growing with workers, and what was busy there. */
  function saturation(name, n, rows) {
    let at = rows[0];
    for (const r of rows.slice(1)) {
      if (r.perSec < at.perSec * 1.1) break;
      at = r;
    }
    const last = rows.at(-1);
    const where =
      at === last
        ? `throughput still grows at ${at.w} workers (${f1(at.perSec)} tasks/s)`
        : `throughput stops growing at ${at.w} worker(s): ${f1(at.perSec)} tasks/s, then ${rows
            .filter((r) => r.w > at.w)
            .map((r) => `${f1(r.perSec)} at ${r.w}`)
            .join(', ')}`;
    const cpu = total(at.cpu);
    const own = (cpu * at.perSec) / (cores * 1000);
    // Everything here shares this machine's cores: busy cores mean CPU-bound here, whichever party.
    const what =
      at.busy >= 0.9
        ? `the machine's ${cores} cores are ${pct(at.busy)} busy (${pct(own)} by this bench, the rest other load): CPU-bound on this machine, not database-bound`
        : `the machine's ${cores} cores are only ${pct(at.busy)} busy: not CPU-bound; the runner's writes of one sprint, one at a time, are the likely limit`;
    const db = at.cpu.pgRunner === undefined ? 0 : at.cpu.pgRunner + at.cpu.pgWorkers;
    const alone = db
      ? `; PostgreSQL's own ${f1(db)} ms per task would take a ${cores}-core database server to ${f1((cores * 1000) / db)} tasks/s with the runner and workers elsewhere`
      : '';
    console.log(
      `${name.padEnd(10)} ${String(n).padStart(5)} tasks: ${where}; ${what}. CPU per task there: ${cpuSplit(at.cpu)} = ${f1(cpu)} ms, at most ${f1((cores * 1000) / cpu)} tasks/s on ${cores} cores${alone}`,
    );
  }

  const names = { postgres: 'PostgreSQL', pglite: 'PGlite' };
  console.log(`load average ${loadavg().map(f1).join(' ')} on ${cores} cores`);
  for (const kind of databases) {
    const db = await openDatabase(kind === 'postgres' ? asApp(runnerApp) : 'pglite:memory');
    const perTask = new Map();
    try {
      // The floor under the runner's overhead: it commits twice per task
      // (claim, outcome), and each commit waits for the disk (fsync).
      const commitMs = await commitLatency(db);
      console.log(
        `${names[kind].padEnd(10)} one committed INSERT: ${commitMs.toFixed(2)} ms (the runner commits twice per task)`,
      );
      for (const n of sizes) {
        const rows = [];
        for (const w of counts) {
          const r = await row(db, kind, n, w);
          rows.push({ ...r, w });
          perTask.set(`${n}/${w}`, r.msPerTask);
          console.log(
            `${names[kind].padEnd(10)} ${String(n).padStart(5)} tasks, ${w} ${kind === 'postgres' ? 'worker process(es)' : 'in-process worker(s)'}${slots > 1 ? ` x ${slots} slots` : ''}: ${r.perSec.toFixed(1)} tasks/s, ${r.msPerTask.toFixed(1)} ms/task wall, dispatch round trip ${r.roundTripMs.toFixed(1)} ms, runner overhead ${f2(r.cpu.runner)} ms/task of the runner's CPU (target < 5 ms: ${r.cpu.runner < 5 ? 'met' : 'NOT met'}); slot time outside the round trip ${r.runnerMs.toFixed(2)} ms/task = ${(r.runnerMs / commitMs).toFixed(1)} commits (it includes waiting for a core the workers and PostgreSQL hold on this machine)`,
          );
          if (r.statements.workers) {
            console.log(
              `${''.padEnd(10)}   fetches per task (pg-boss's fetch, by all workers): ${fetches(r.statements.workers).toFixed(2)}`,
            );
          }
          console.log(
            `${''.padEnd(10)}   CPU per task: ${cpuSplit(r.cpu)} = ${f1(total(r.cpu))} ms; the machine's ${cores} cores ${pct(r.busy)} busy, ${pct((total(r.cpu) * r.perSec) / (cores * 1000))} by this bench; load ${loadavg()[0].toFixed(1)}`,
          );
          if (r.server.length > 0) {
            console.log(
              `${''.padEnd(10)}   the PostgreSQL server's own processes (all their CPU, whoever caused it; not in the sums above): ${
                r.server
                  .filter(([, v]) => v >= 0.05)
                  .map(([k, v]) => `${k} ${f1(v)}`)
                  .join(', ') || 'each under 0.05'
              } ms per task`,
            );
          }
          if (n >= 2000) {
            console.log(
              `${''.padEnd(10)}   tasks/s by tenth of the run: ${r.tenths.map(f1).join(', ')}`,
            );
          }
          // The fewest and the most workers at the largest size: what grows with workers.
          if (
            kind === 'postgres' &&
            n === Math.max(...sizes) &&
            [counts[0], counts.at(-1)].includes(w)
          ) {
            printStatements('runner', r.statements.runner);
            printStatements('workers', r.statements.workers);
          }
        }
        if (rows.length > 1) saturation(names[kind], n, rows);
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
