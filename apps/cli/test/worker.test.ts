import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '@sprint/store-postgres';
import { codexTestEnv, findAgentBin, startFakeOpenAIResponses } from '@sprint/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { processesWith, runCli, shellSprint, startCli, tempDir, waitUntil } from './helpers.js';

const server = process.env.SPRINT_TEST_DATABASE_URL;

function database(): NodeJS.ProcessEnv {
  const schema = `cliw_${process.pid}_${randomBytes(4).toString('hex')}`;
  afterEach(async () => {
    const db = await openDatabase(server ?? '');
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.query(`DROP SCHEMA IF EXISTS "${schema}_boss" CASCADE`);
    await db.close();
  });
  return { SPRINT_DATABASE_URL: server, SPRINT_DATABASE_SCHEMA: schema };
}

describe('sprint worker --agents', () => {
  it('refuses an agent it does not know with exit 64, naming it and every known agent, before it connects', async () => {
    const r = await runCli(
      ['worker', '--agents', 'codex,cursor', '--database-url', 'postgres://127.0.0.1:1/none'],
      { cwd: tempDir() },
    );
    expect(r.code, r.stderr).toBe(64);
    expect(r.stderr).toContain('cursor unknown');
    expect(r.stderr).toContain('claude, codex, gemini, opencode, noop, shell');
    expect(r.stderr).not.toMatch(/ECONNREFUSED|could not be reached/i);
  });
});

// Worker processes share a database, so these need a PostgreSQL server (PGlite is one process's).
describe.runIf(server)('sprint worker processes (PostgreSQL server)', () => {
  it('3 workers run a sprint handed out by run --workers; kill -9 of one mid-task is retried elsewhere and counted', async () => {
    const cwd = tempDir();
    const env = database();
    const marker = `sleep ${(Math.random() * 1000 + 700).toFixed(3)}`;
    const tasks = Array.from({ length: 9 }, (_, i) => ({
      id: `t${i}`,
      // Its shell and the worker that started it.
      command: `echo "$$ $PPID" >> ${join(cwd, `t${i}`)}`,
      dependsOn: i >= 3 ? [`t${i - 3}`] : undefined,
    }));
    tasks.push({
      id: 'slow',
      // The first attempt hangs (and records its shell's pid); the retry finishes.
      command: `if [ ! -f ${join(cwd, 'slow-tried')} ]; then echo $$ > ${join(cwd, 'slow-tried')}; ${marker}; fi; echo ok >> ${join(cwd, 'slow')}`,
      dependsOn: undefined,
    });
    const dir = shellSprint(join(cwd, 'sprints'), 'workers', tasks);
    expect((await runCli(['push', dir], { cwd, env })).code).toBe(0);
    const workers = [1, 2, 3].map((n) =>
      startCli(['worker', '--name', `w${n}`, '--agents', 'shell', '--concurrency', '2'], {
        cwd,
        env,
      }),
    );
    for (const w of workers) await w.waitForOutput(/runs shell tasks/, 60_000);
    const run = startCli(['run', '2026-01-15_workers', '--workers', '--concurrency', '4'], {
      cwd,
      env,
    });
    // Kill -9 the worker whose agent runs the hanging attempt.
    const shellPid = Number(
      await waitUntil(
        () =>
          existsSync(join(cwd, 'slow-tried')) &&
          readFileSync(join(cwd, 'slow-tried'), 'utf8').trim(),
        120_000,
        'the slow task to start',
      ),
    );
    const workerPid = Number(
      execFileSync('ps', ['-o', 'ppid=', '-p', String(shellPid)], { encoding: 'utf8' }).trim(),
    );
    const victim = workers.find((w) => w.child.pid === workerPid);
    expect(victim, `worker pid ${workerPid}`).toBeDefined();
    victim!.child.kill('SIGKILL');
    const ended = await run.done(240_000);
    expect(ended.code, ended.stderr + ended.stdout).toBe(0);
    const status = JSON.parse(
      (await runCli(['status', '2026-01-15_workers', '--json'], { cwd, env })).stdout,
    );
    expect(status.status).toBe('completed');
    const attempts = (id: string) =>
      status.tasks.find((t: { id: string }) => t.id === id).attempts as number;
    expect(readFileSync(join(cwd, 'slow'), 'utf8')).toBe('ok\n');
    expect(attempts('slow')).toBe(2);
    // The killed worker has two slots: the other may have had a task in flight too (run, its
    // result not yet reported), which is run again elsewhere, and counted. No task runs twice
    // otherwise.
    for (const t of tasks.filter((x) => x.id !== 'slow')) {
      const workersOfRuns = readFileSync(join(cwd, t.id), 'utf8')
        .trim()
        .split('\n')
        .map((line) => Number(line.split(' ')[1]));
      const again = workersOfRuns.slice(0, -1);
      expect(
        again.every((pid) => pid === victim!.child.pid),
        `${t.id}: ${workersOfRuns}`,
      ).toBe(true);
      expect(attempts(t.id), t.id).toBeGreaterThanOrEqual(workersOfRuns.length);
    }
    const logs = await runCli(['logs', '2026-01-15_workers'], { cwd, env });
    expect(logs.stdout).toMatch(/worker running it was lost/);
    // SIGTERM drains the others: they leave the list and exit 0.
    for (const w of workers.filter((x) => x !== victim)) {
      w.child.kill('SIGTERM');
      const r = await w.done(60_000);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/stopped/);
    }
    for (const pid of processesWith(marker)) process.kill(pid, 'SIGKILL');
  }, 400_000);

  it('a worker runs a codex task with the real codex CLI against the fake Responses API', async () => {
    const cwd = tempDir();
    const fake = await startFakeOpenAIResponses([
      { type: 'shell', command: 'echo from-codex > codex.txt' },
      {
        type: 'message',
        text: JSON.stringify({
          status: 'completed',
          summary: 'Wrote codex.txt.',
          deferred_items: [],
          files_changed: ['codex.txt'],
          human_needed: null,
        }),
      },
    ]);
    afterEach(() => fake.close());
    const env = database();
    const dir = shellSprint(join(cwd, 'sprints'), 'codex', [{ id: 'write', command: 'true' }], {
      agent: 'codex',
    });
    expect((await runCli(['push', dir], { cwd, env })).code).toBe(0);
    const packages = join(import.meta.dirname, '..', '..', '..', 'packages');
    const worker = startCli(['worker', '--name', 'cx', '--agents', 'codex,gemini,opencode'], {
      cwd,
      env: {
        ...env,
        ...codexTestEnv({ baseUrl: fake.baseUrl, home: join(cwd, 'home') }),
        SPRINT_CODEX_BIN: findAgentBin('codex', join(packages, 'agents-codex'), '@openai/codex'),
      },
    });
    await worker.waitForOutput(/runs codex, gemini, opencode tasks/, 60_000);
    const run = await runCli(['run', '2026-01-15_codex', '--workers'], {
      cwd,
      env,
      timeoutMs: 240_000,
    });
    expect(run.code, run.stderr + run.stdout).toBe(0);
    // Outside a git project the agent works in the sprint's folder.
    expect(readFileSync(join(dir, 'codex.txt'), 'utf8')).toBe('from-codex\n');
    expect(JSON.stringify(fake.responseRequests()[0]?.body)).toContain('# Task write');
    const status = JSON.parse(
      (await runCli(['status', '2026-01-15_codex', '--json'], { cwd, env })).stdout,
    );
    expect(status.status).toBe('completed');
    expect(status.tasks[0]).toMatchObject({
      id: 'write',
      status: 'done',
      summary: 'Wrote codex.txt.',
    });
    // codex reports tokens, not money: the cost is priced from the table.
    expect(status.estimatedCostUsd).toBeGreaterThan(0);
    worker.child.kill('SIGTERM');
    expect((await worker.done(60_000)).code).toBe(0);
  }, 300_000);

  it('serve --database-url serves the database sprints and lists the workers', async () => {
    const cwd = tempDir();
    const env = { ...database(), SPRINT_API_TOKEN: 'test-token-for-workers-list' };
    const dir = shellSprint(join(cwd, 'sprints'), 'served', [{ id: 'a', command: 'true' }]);
    expect((await runCli(['push', dir], { cwd, env })).code).toBe(0);
    const worker = startCli(['worker', '--name', 'listed', '--agents', 'shell,noop'], { cwd, env });
    await worker.waitForOutput(/runs shell, noop tasks/, 60_000);
    const serve = startCli(['serve', '--port', '0'], { cwd, env });
    await serve.waitForOutput(
      /Serving the sprints in the database .* on http:\/\/127\.0\.0\.1:\d+/,
      60_000,
    );
    const url = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(serve.stdout)?.[1];
    type Listing = {
      sprints: { id: string; format: string }[];
      database: boolean;
      workers: { name: string; state: string; stoppedAt: string | null }[];
    };
    const get = async (path: string) =>
      (await (
        await fetch(`${url}${path}`, {
          headers: { authorization: `Bearer ${env.SPRINT_API_TOKEN}` },
        })
      ).json()) as Listing;
    const listing = await get('/sprints');
    const { sprints } = listing;
    expect(sprints, JSON.stringify(listing)).toBeDefined();
    expect(sprints.map((s: { id: string }) => s.id)).toEqual(['2026-01-15_served']);
    expect(sprints[0]?.format).toBe('database');
    const { database: hasDatabase, workers } = await get('/workers');
    expect(hasDatabase).toBe(true);
    expect(workers).toHaveLength(1);
    expect(workers[0]).toMatchObject({
      name: 'listed',
      agents: ['shell', 'noop'],
      state: 'live',
      tasks: [],
      stoppedAt: null,
    });
    worker.child.kill('SIGTERM');
    expect((await worker.done(60_000)).code).toBe(0);
    await waitUntil(
      async () => (await get('/workers')).workers.at(0)?.state === 'stopped',
      30_000,
      'the worker to leave',
    );
    serve.child.kill('SIGTERM');
    await serve.done(60_000);
  }, 300_000);
});
