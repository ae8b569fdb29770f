// End-to-end dispatch through separate worker PROCESSES (pg-boss), on the
// PostgreSQL server of SPRINT_TEST_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/test), in a private schema dropped at
// the end. The runner (SprintRunner + WorkerDispatchAgent) hands out
// SPRINT_BENCH_DISPATCH_TASKS noop tasks (default 300) to 1, 4 and 8 worker
// processes (`TaskWorker`, one task at a time each); prints tasks/s and the
// runner's wall time per task. PGlite is one process's, so it has no row here.
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

const url = process.env.SPRINT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

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
  const n = Number(process.env.SPRINT_BENCH_DISPATCH_TASKS ?? 300);
  const tasks = Array.from({ length: n }, (_, i) => ({
    id: `t${i}`,
    type: 'bench-step',
    priority: 'medium',
    dependsOn: [],
    fields: {},
    title: `t${i}`,
  }));
  for (const w of [1, 4, 8]) {
    const schema = `benchw_${randomBytes(4).toString('hex')}`;
    const db = await openDatabase(url);
    const store = await PostgresStore.open({ db, schema });
    const boss = await startTaskQueue(store, { connectionString: url });
    const children = [];
    try {
      for (let k = 0; k < w; k++) {
        const child = fork(fileURLToPath(import.meta.url), ['--child', schema, `bw${k}`]);
        children.push(child);
        await new Promise((resolve, reject) => {
          child.once('message', resolve);
          child.once('exit', (code) => reject(new Error(`worker exited ${code}`)));
        });
      }
      const id = await store.create({ name: 'dispatch', tasks });
      const t = performance.now();
      const result = await new SprintRunner({
        store,
        agents: new AgentRegistry({
          default: new WorkerDispatchAgent('noop', boss, store, { pollMs: 20 }),
        }),
      }).run(id, { concurrency: w, maxIterations: n + 10 });
      const ms = performance.now() - t;
      if (result.status !== 'completed') throw new Error(`runner ended ${result.status}`);
      console.log(
        `PostgreSQL ${String(n).padStart(5)} tasks, ${w} worker process(es): ${((n / ms) * 1000).toFixed(1)} tasks/s, ${(ms / n).toFixed(1)} ms/task wall`,
      );
    } finally {
      for (const c of children) c.kill('SIGTERM');
      await Promise.all(children.map((c) => new Promise((r) => c.once('exit', r))));
      await boss.stop({ graceful: false }).catch(() => undefined);
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.query(`DROP SCHEMA IF EXISTS "${schema}_boss" CASCADE`);
      await store.close();
    }
  }
}
