import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '@sprint/store-postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { processesWith, runCli, shellSprint, startCli, tempDir, waitUntil } from './helpers.js';

/**
 * Where the database commands keep sprints in these tests: the PostgreSQL
 * server SPRINT_TEST_DATABASE_URL names (each test in its own schema), or
 * else embedded PGlite in a temporary directory.
 */
function database(dir: string): NodeJS.ProcessEnv {
  const server = process.env.SPRINT_TEST_DATABASE_URL;
  if (!server)
    return { SPRINT_DATABASE_URL: `pglite:${join(dir, 'db')}`, SPRINT_DATABASE_SCHEMA: '' };
  const schema = `cli_${process.pid}_${randomBytes(4).toString('hex')}`;
  afterEach(async () => {
    const db = await openDatabase(server);
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.close();
  });
  return { SPRINT_DATABASE_URL: server, SPRINT_DATABASE_SCHEMA: schema };
}

// Embedded PGlite starts slowly on a busy machine (initdb in WASM): generous limits.
const SLOW = 300_000;

describe('sprints in a database (--database-url)', () => {
  it(
    'pushes a sprint directory, runs it from the database, and pulls it back as a directory the plugin reads',
    async () => {
      const cwd = tempDir();
      const env = database(cwd);
      const dir = shellSprint(join(cwd, 'sprints'), 'db', [
        { id: 'first', command: `echo one > ${join(cwd, 'first.txt')}` },
        { id: 'second', command: `echo two > ${join(cwd, 'second.txt')}`, dependsOn: ['first'] },
      ]);
      writeFileSync(join(dir, 'context', '_shared.md'), 'shared notes\n');
      const pushed = await runCli(['push', dir], { cwd, env, timeoutMs: 240_000 });
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(pushed.stdout).toContain('2 tasks');
      // A second push of the same id changes nothing and says so.
      const again = await runCli(['push', dir], { cwd, env, timeoutMs: 120_000 });
      expect(again.code).toBe(64);
      expect(again.stderr).toMatch(/already exists/);

      const run = await runCli(['run', '2026-01-15_db'], { cwd, env, timeoutMs: 240_000 });
      expect(run.code, run.stderr + run.stdout).toBe(0);
      expect(readFileSync(join(cwd, 'first.txt'), 'utf8')).toBe('one\n');
      expect(readFileSync(join(cwd, 'second.txt'), 'utf8')).toBe('two\n');
      // The files were copied, not moved: the directory still says not started.
      expect(readFileSync(join(dir, 'PROGRESS.yaml'), 'utf8')).toMatch(/status: not-started/);

      const status = await runCli(['status', '2026-01-15_db', '--json'], {
        cwd,
        env,
        timeoutMs: 120_000,
      });
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout).status).toBe('completed');

      const list = await runCli(['list', '--json'], { cwd, env, timeoutMs: 120_000 });
      expect(JSON.parse(list.stdout).map((s: { id: string }) => s.id)).toEqual(['2026-01-15_db']);

      const pulled = await runCli(['pull', '2026-01-15_db', '--dir', 'back'], {
        cwd,
        env,
        timeoutMs: 120_000,
      });
      expect(pulled.code, pulled.stderr).toBe(0);
      const back = join(cwd, 'back', '2026-01-15_db');
      expect(readFileSync(join(back, 'PROGRESS.yaml'), 'utf8')).toMatch(/^status: completed$/m);
      expect(readFileSync(join(back, 'context', '_shared.md'), 'utf8')).toBe('shared notes\n');
      // The pulled directory is a file sprint like any other: no database needed to read it.
      const fileStatus = await runCli(['status', back, '--json'], {
        cwd,
        env: { SPRINT_DATABASE_URL: '' },
      });
      expect(fileStatus.code, fileStatus.stderr).toBe(0);
      const report = JSON.parse(fileStatus.stdout);
      expect(report.status).toBe('completed');
      expect(report.counts.done).toBe(2);
      // Pulling onto an existing directory refuses and leaves it alone.
      const twice = await runCli(['pull', '2026-01-15_db', '--dir', 'back'], {
        cwd,
        env,
        timeoutMs: 120_000,
      });
      expect(twice.code).toBe(64);
    },
    SLOW,
  );

  it(
    'push and pull of a one-task sprint say "1 task", not "1 tasks"',
    async () => {
      const cwd = tempDir();
      const env = database(cwd);
      const dir = shellSprint(join(cwd, 'sprints'), 'one', [{ id: 'only', command: 'true' }]);
      const pushed = await runCli(['push', dir], { cwd, env, timeoutMs: 240_000 });
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(pushed.stdout).toMatch(/: 1 task, \d+ events?, status not-started\.$/m);
      const pulled = await runCli(['pull', '2026-01-15_one', '--dir', 'back'], {
        cwd,
        env,
        timeoutMs: 120_000,
      });
      expect(pulled.code, pulled.stderr).toBe(0);
      expect(pulled.stdout).toMatch(/: 1 task, status not-started\.$/m);
    },
    SLOW,
  );

  // PGlite is opened by one process at a time, so a second process's `stop` needs a server.
  it.runIf(process.env.SPRINT_TEST_DATABASE_URL)(
    'stop from another process reaches a run of a database sprint and ends its agent (PostgreSQL server)',
    async () => {
      const cwd = tempDir();
      const env = database(cwd);
      const marker = `sleep ${(Math.random() * 1000 + 100).toFixed(3)}`;
      const dir = shellSprint(join(cwd, 'sprints'), 'dbstop', [
        { id: 'slow', command: `echo started-slow; ${marker}` },
      ]);
      expect((await runCli(['push', dir], { cwd, env, timeoutMs: 240_000 })).code).toBe(0);
      const run = startCli(['run', '2026-01-15_dbstop'], { cwd, env });
      await run.waitForOutput('slow started', 120_000);
      await waitUntil(() => processesWith(marker).length > 0, 60_000, 'the agent to start');
      const stop = await runCli(['stop', '2026-01-15_dbstop'], { cwd, env });
      expect(stop.code, stop.stderr).toBe(0);
      const ended = await run.done(120_000);
      expect(ended.code, ended.stderr + ended.stdout).toBe(0);
      expect(ended.stdout).toMatch(/stopped|paused/);
      await waitUntil(() => processesWith(marker).length === 0, 30_000, 'the agent to end');
      const status = await runCli(['status', '2026-01-15_dbstop', '--json'], { cwd, env });
      const report = JSON.parse(status.stdout);
      expect(report.status).toBe('paused');
    },
    SLOW,
  );

  it('says which database it could not reach, with exit 69, and changes nothing', async () => {
    const cwd = tempDir();
    // A refused first connection is a wrong URL, not an outage to wait out: it must not take the
    // minute the store retries a lost connection for (45 s is only a bound for a busy machine).
    const r = await runCli(
      ['--database-url', 'postgres://nobody:secret@127.0.0.1:1/none', 'status', 'x'],
      { cwd, timeoutMs: 45_000 },
    );
    expect(r.code).toBe(69);
    expect(r.stderr).toMatch(
      /Could not reach the database at postgres:\/\/nobody:\*\*\*@127\.0\.0\.1:1\/none/,
    );
    expect(r.stderr).not.toContain('secret');
  });

  it('push without a database is a usage error naming the option', async () => {
    const cwd = tempDir();
    const dir = shellSprint(join(cwd, 'sprints'), 'nodb', [{ id: 'a', command: 'true' }]);
    const r = await runCli(['push', dir], { cwd, env: { SPRINT_DATABASE_URL: '' } });
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/--database-url/);
  });
});
