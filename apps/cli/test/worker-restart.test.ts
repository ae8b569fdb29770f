import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPostgresBin, type PostgresServer, startPostgresServer } from '@sprint/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, shellSprint, startCli, tempDir, waitUntil } from './helpers.js';

let pg: PostgresServer | undefined;
afterEach(async () => {
  await pg?.close();
  pg = undefined;
});

// A private server from the machine's binaries: restarting the shared one would hit everybody's tests.
describe.runIf(findPostgresBin())(
  'workers through a real database restart (needs the PostgreSQL server binaries: initdb, pg_ctl)',
  () => {
    it('the server stops mid-run and starts again: runner and 2 workers reconnect and finish, each task once', async () => {
      pg = await startPostgresServer();
      const cwd = tempDir();
      const env = { SPRINT_DATABASE_URL: pg.url };
      const tasks = Array.from({ length: 8 }, (_, i) => ({
        id: `r${i}`,
        // `started-` when the agent begins, the task's file when it ends.
        command: `echo "$$" >> ${join(cwd, `started-r${i}`)}; sleep 1; echo "$$" >> ${join(cwd, `r${i}`)}`,
        dependsOn: i >= 4 ? [`r${i - 4}`] : undefined,
      }));
      const dir = shellSprint(join(cwd, 'sprints'), 'restart', tasks);
      expect((await runCli(['push', dir], { cwd, env })).code).toBe(0);
      const workers = [1, 2].map((n) =>
        startCli(['worker', '--name', `r${n}`, '--agents', 'shell'], { cwd, env }),
      );
      for (const w of workers) await w.waitForOutput(/runs shell tasks/, 60_000);
      const run = startCli(['run', '2026-01-15_restart', '--workers', '--concurrency', '2'], {
        cwd,
        env,
      });
      const running = () =>
        tasks.filter(
          (t) => existsSync(join(cwd, `started-${t.id}`)) && !existsSync(join(cwd, t.id)),
        );
      // The server goes down while a task runs on a worker...
      const caught = await waitUntil(() => running()[0], 120_000, 'a task running on a worker');
      const down = performance.now();
      await pg.stop();
      // ...and stays down until that task has ended on its worker: its result is reported
      // into the outage, so it must be carried over the restart, not lost or run again.
      await waitUntil(() => existsSync(join(cwd, caught.id)), 60_000, `${caught.id} to end`);
      await pg.start();
      console.log(`the server was down for ${(performance.now() - down).toFixed(0)} ms`);
      const ended = await run.done(300_000);
      expect(ended.code, ended.stderr + ended.stdout).toBe(0);
      for (const t of tasks) {
        expect(readFileSync(join(cwd, t.id), 'utf8').trim().split('\n'), t.id).toHaveLength(1);
        expect(
          readFileSync(join(cwd, `started-${t.id}`), 'utf8')
            .trim()
            .split('\n'),
          t.id,
        ).toHaveLength(1);
      }
      const status = JSON.parse(
        (await runCli(['status', '2026-01-15_restart', '--json'], { cwd, env })).stdout,
      );
      expect(status.status).toBe('completed');
      for (const t of status.tasks) expect(t.attempts, t.id).toBe(1);
      expect(readdirSync(cwd).filter((f) => f.startsWith('started-'))).toHaveLength(tasks.length);
      for (const w of workers) {
        expect(w.child.exitCode, w.stderr).toBeNull(); // alive through the restart
        w.child.kill('SIGTERM');
        expect((await w.done(60_000)).code).toBe(0);
      }
    }, 480_000);
  },
);
