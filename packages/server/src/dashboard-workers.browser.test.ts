import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentRegistry, ShellAgent, SprintRunner, type Task } from '@sprint/core';
import { untilFileExists } from '@sprint/core/testing';
import {
  claimWorkerName,
  type Database,
  openDatabase,
  PostgresStore,
  startTaskQueue,
  TaskWorker,
  WorkerDispatchAgent,
} from '@sprint/store-postgres';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from './server.js';
import { auditPage, launchChromium } from './test-support/browser.js';
import { TOKEN, tempRoot, waitFor } from './test-support/harness.js';

// Real Chromium against a real server over a real PGlite store, with a real
// worker registered and heartbeating in it (pg-boss on the same PGlite).
let chrome: Awaited<ReturnType<typeof launchChromium>>;
let db: Database;
beforeAll(async () => {
  chrome = await launchChromium();
  db = await openDatabase('pglite:memory');
}, 180_000);
afterAll(async () => {
  await chrome?.close();
  await db?.close();
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const LONG = { timeout: 60_000 };

/** A real server on a fresh sprints root, over `store` and its workers when given. */
async function serve(store?: PostgresStore) {
  const { root, cleanup } = await tempRoot();
  cleanups.push(cleanup);
  const server = await startServer({
    port: 0,
    token: TOKEN,
    handleSignals: false,
    env: {},
    root,
    ...(store ? { store, workers: () => store.listWorkers() } : {}),
  });
  cleanups.push(() => server.close());
  return server;
}

async function signIn(p: Page, url: string) {
  await p.goto(url);
  await p.getByLabel('Token').fill(TOKEN);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByRole('heading', { level: 1, name: 'Sprints' }).waitFor(LONG);
}

describe('the dashboard lists the workers of a database store', { timeout: 240_000 }, () => {
  it('shows each worker with host, state, tasks and last heartbeat, live, and fits a phone', async () => {
    const schema = `dashw_${process.pid}_${Date.now()}`;
    const store = await PostgresStore.open({ db, schema });
    const boss = await startTaskQueue(store, { connectionString: 'pglite:memory' });
    const gate = await mkdtemp(join(tmpdir(), 'sprint-dashw-'));
    cleanups.push(async () => {
      await boss.stop({ graceful: false, close: true }).catch(() => undefined);
      await store.close();
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.query(`DROP SCHEMA IF EXISTS "${schema}_boss" CASCADE`);
      await rm(gate, { recursive: true, force: true });
    });
    const worker = new TaskWorker({
      store,
      boss,
      name: 'build-box',
      agents: { shell: new ShellAgent() },
      concurrency: 1,
    });
    await worker.start();
    cleanups.push(() => worker.drain());
    // A worker killed with -9 long ago: registered on its host, then silent.
    const dead = await claimWorkerName(store, 'old-vm');
    await db.query(
      `UPDATE ${store.table('workers')} SET tasks = '["2026-01-01_old/t9"]', heartbeat_at = now() - interval '5 minutes' WHERE name = $1`,
      [dead],
    );
    const held = join(gate, 'go');
    const id = await store.create({
      name: 'Held on a worker',
      tasks: [
        {
          id: 'hold',
          type: 'shell-step',
          priority: 'medium',
          dependsOn: [],
          fields: {},
          title: 'hold',
          command: untilFileExists(held),
        } as Task,
      ],
    });
    const run = new SprintRunner({
      store,
      agents: new AgentRegistry({ default: new WorkerDispatchAgent('shell', boss, store) }),
    }).run(id, { concurrency: 1, maxIterations: 10 });
    cleanups.push(async () => {
      await writeFile(held, '');
      await run.catch(() => undefined);
    });
    const server = await serve(store);

    const p = await chrome.context.newPage();
    cleanups.push(() => p.close());
    await p.setViewportSize({ width: 375, height: 800 });
    await signIn(p, server.url);
    await p.getByRole('heading', { level: 2, name: 'Workers' }).waitFor(LONG);
    const row = (name: string) => p.getByRole('row').filter({ hasText: name });
    // The live worker, running the held task (a link to its sprint), by the worker's own heartbeats.
    await row('build-box')
      .getByRole('link', { name: `${id}/hold` })
      .waitFor(LONG);
    const live = (await row('build-box').textContent()) ?? '';
    expect(live).toContain('live');
    expect(live).toMatch(/\d+s ago/);
    const cells = await row('build-box').getByRole('cell').allTextContents();
    expect(cells[1]).toBe((await store.listWorkers()).find((w) => w.name === 'build-box')?.host);
    // The dead one is lost, its task shown as what it was running, not as running.
    const lost = (await row('old-vm').textContent()) ?? '';
    expect(lost).toContain('lost');
    expect(lost).toContain('was running 2026-01-01_old/t9');
    expect(lost).toMatch(/5m\d+s ago/);
    const { serious, overflow } = await auditPage(p);
    expect(serious).toEqual([]);
    expect(overflow, 'the workers table overflows the 375-px viewport').toBeLessThanOrEqual(0);
    await p.screenshot({
      path: join(tmpdir(), 'sprint-dashboard-workers-375.png'),
      fullPage: true,
    });
    // The task ends: the row follows without a reload.
    await writeFile(held, '');
    expect((await run).status).toBe('completed');
    await waitFor(
      async () =>
        (await row('build-box').getByRole('cell').nth(3).textContent()) === '-' || undefined,
      'the finished task to leave the worker row',
      60_000,
    );
    // Drained, it says so.
    await worker.drain();
    await row('build-box').getByText('stopped').waitFor(LONG);
    expect(existsSync(held)).toBe(true);
  });

  it('shows no workers section over file sprints', async () => {
    const server = await serve();
    const p = await chrome.context.newPage();
    cleanups.push(() => p.close());
    const asked = p.waitForResponse((r) => r.url().endsWith('/workers'));
    await signIn(p, server.url);
    expect(await (await asked).json()).toEqual({ database: false, workers: [] });
    expect(await p.getByRole('heading', { name: 'Workers' }).count()).toBe(0);
  });
});
