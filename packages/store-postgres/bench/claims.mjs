// Claims per second and runner overhead per task on the database store, with
// the noop agent, at 1, 4 and 8 concurrent claimers, on PGlite and (when
// reachable) the PostgreSQL server of SPRINT_TEST_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/test). Sizes: SPRINT_BENCH_TASKS
// (default "1000,10000"), to show whether the cost per task grows with size.
// Figures are printed with `node -e 0` (the spawn floor) measured in the same run.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { AgentRegistry, NoopAgent, SprintRunner } from '@sprint/core';
import { openDatabase, PostgresStore } from '../dist/index.js';
import { benchTasks } from './bench-tasks.mjs';

const sizes = (process.env.SPRINT_BENCH_TASKS ?? '1000,10000').split(',').map(Number);
const server = process.env.SPRINT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function spawnFloorMs() {
  const t = performance.now();
  for (let i = 0; i < 3; i++) execFileSync(process.execPath, ['-e', '0']);
  return (performance.now() - t) / 3;
}

async function fresh(db) {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const store = await PostgresStore.open({ db, schema });
  return { store, drop: () => db.query(`DROP SCHEMA "${schema}" CASCADE`) };
}

/** W loops claiming the next pending task and finishing it, straight on the store. */
async function claims(db, n, w) {
  const { store, drop } = await fresh(db);
  const id = await store.create({ name: 'claims', tasks: benchTasks(n) });
  await store.append(id, [{ type: 'sprint-status', from: 'not-started', to: 'in-progress' }]);
  let next = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: w }, async (_, k) => {
      for (;;) {
        const i = next++;
        if (i >= n) return;
        const started = await store.claimTask(id, {
          taskId: `t${i}`,
          agent: 'noop',
          runId: `r${k}`,
          host: 'h',
        });
        if (!started) throw new Error(`t${i} not claimed`);
        await store.append(id, [
          {
            type: 'task-finished',
            taskId: `t${i}`,
            attempt: 1,
            to: 'done',
            outcome: 'success',
            counted: true,
          },
        ]);
      }
    }),
  );
  const ms = performance.now() - t;
  await drop();
  return { perSec: (n / ms) * 1000, msPerTask: ms / n };
}

/** The unchanged SprintRunner with the noop agent at concurrency w. */
async function runner(db, n, w) {
  const { store, drop } = await fresh(db);
  const id = await store.create({ name: 'runner', tasks: benchTasks(n) });
  const t = performance.now();
  const result = await new SprintRunner({
    store,
    agents: new AgentRegistry({ default: new NoopAgent() }),
  }).run(id, {
    concurrency: w,
    maxIterations: n + 10,
  });
  const ms = performance.now() - t;
  if (result.status !== 'completed') throw new Error(`runner ended ${result.status}`);
  await drop();
  return { msPerTask: ms / n };
}

const floor = spawnFloorMs();
console.log(`node -e 0 (spawn floor): ${floor.toFixed(1)} ms`);
const targets = [['PGlite', 'pglite:memory']];
try {
  const probe = await openDatabase(server);
  await probe.close();
  targets.push(['PostgreSQL', server]);
} catch (error) {
  console.log(`PostgreSQL at ${server} not reachable (${error.message}): PGlite only`);
}
for (const [name, url] of targets) {
  const db = await openDatabase(url);
  for (const n of sizes) {
    for (const w of [1, 4, 8]) {
      const c = await claims(db, n, w);
      const r = await runner(db, n, w);
      console.log(
        `${name.padEnd(10)} ${String(n).padStart(6)} tasks, ${w} at once: claim+finish ${c.perSec.toFixed(0)}/s (${c.msPerTask.toFixed(2)} ms), runner ${r.msPerTask.toFixed(2)} ms/task = ${(r.msPerTask / floor).toFixed(3)}x spawn floor (target < 5 ms)`,
      );
    }
  }
  await db.close();
}
