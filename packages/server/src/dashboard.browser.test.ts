import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { AgentResultSchema } from '@sprint/core';
import { claudeTestEnv, findClaudeBin, startFakeAnthropic } from '@sprint/test-kit';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from './server.js';
import { auditPage, launchChromium } from './test-support/browser.js';
import { customTask, TOKEN, tempRoot } from './test-support/harness.js';

// Real Chromium (Debian's, or CHROME_PATH) against a real listening server:
// what a person sees and clicks, end to end.
let chrome: Awaited<ReturnType<typeof launchChromium>>;
beforeAll(async () => {
  chrome = await launchChromium();
}, 60_000);
afterAll(async () => chrome?.close());

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

const LONG = { timeout: 45_000 };

async function serve(options: Parameters<typeof startServer>[0] = {}): Promise<RunningServer> {
  const server = await startServer({
    port: 0,
    token: TOKEN,
    handleSignals: false,
    env: {},
    shutdownGraceMs: 2000,
    agents: { enabled: ['noop', 'shell'] },
    allowTaskCommands: true,
    ...options,
  });
  cleanups.push(() => server.close());
  return server;
}

async function root() {
  const r = await tempRoot();
  cleanups.push(r.cleanup);
  return r;
}

async function api(server: { url: string }, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function createSprint(server: RunningServer, body: Record<string, unknown>): Promise<string> {
  const res = await api(server, 'POST', '/sprints', { config: { autoCommit: false }, ...body });
  expect(res.status).toBe(201);
  return res.body.sprint.id as string;
}

async function page(): Promise<Page> {
  const p = await chrome.context.newPage();
  cleanups.push(() => p.close());
  return p;
}

async function signIn(p: Page, server: RunningServer, token = TOKEN) {
  await p.goto(server.url);
  await p.getByLabel('Token').fill(token);
  await p.getByRole('button', { name: 'Sign in' }).click();
}

async function openSprint(p: Page, server: RunningServer, name: string) {
  await signIn(p, server);
  await p.getByRole('link', { name }).click();
  await p.getByRole('heading', { level: 1, name: new RegExp(name) }).waitFor(LONG);
}

const statusBadge = (p: Page) => p.locator('h1 .badge');

/** Makes `dir` a git repository with one commit on `main` (README.md and `files`). */
async function gitProject(dir: string, files: Record<string, string> = {}) {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Test User');
  git('config', 'user.email', 'user@example.com');
  for (const [name, text] of Object.entries({ 'README.md': 'project\n', ...files }))
    await writeFile(join(dir, name), text);
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
  return git;
}

/** A path beside the project (not in its git tree), removed after the test. */
function outside(dir: string, name: string): string {
  const path = join(dir, '..', `${basename(dir)}-${name}`);
  cleanups.push(() => rm(path, { recursive: true, force: true }));
  return path;
}

describe('the dashboard in a real browser', { timeout: 180_000 }, () => {
  it('serves the page with a strict CSP and caches its hashed assets', async () => {
    const { root: r } = await root();
    const server = await serve({ root: r });
    const res = await fetch(server.url);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBe(2);
    let gzipped = 0;
    for (const path of assets) {
      const a = await fetch(`${server.url}${path}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(a.status).toBe(200);
      expect(a.headers.get('cache-control')).toContain('immutable');
      gzipped += Number((await a.arrayBuffer()).byteLength);
    }
    // fetch decodes gzip; measure the encoded size the server sends.
    const { gzipSync } = await import('node:zlib');
    gzipped = 0;
    for (const path of assets) {
      const a = await fetch(`${server.url}${path}`);
      gzipped += gzipSync(Buffer.from(await a.arrayBuffer())).length;
    }
    expect(gzipped).toBeLessThan(100 * 1024);
    // The page is public; the data is not.
    expect((await fetch(`${server.url}/sprints`)).status).toBe(401);
    expect(html).not.toContain(TOKEN);
  });

  it('refuses a wrong token, then signs in, lists a sprint and stays signed in on reload', async () => {
    const { root: r } = await root();
    const server = await serve({ root: r });
    await createSprint(server, { name: 'listed', tasks: [customTask('a')] });
    const p = await page();
    await signIn(p, server, 'not-the-token-0123456789');
    await expect(p.getByRole('alert').textContent(LONG)).resolves.toContain(
      "not the server's token",
    );
    await p.getByLabel('Token').fill(TOKEN);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('link', { name: 'listed' }).waitFor(LONG);
    expect(p.url()).not.toContain(TOKEN);
    await p.reload();
    await p.getByRole('link', { name: 'listed' }).waitFor(LONG);
    expect(await p.getByLabel('Token').count()).toBe(0);
  });

  it('starts a noop run and shows it complete live, without a reload', async () => {
    const { root: r } = await root();
    const server = await serve({ root: r });
    await createSprint(server, {
      name: 'noop-run',
      tasks: [customTask('a'), customTask('b', { dependsOn: ['a'] })],
    });
    const p = await page();
    await openSprint(p, server, 'noop-run');
    await expect(statusBadge(p).textContent()).resolves.toBe('not-started');
    await p.getByLabel('Agent').fill('noop');
    await p.getByRole('button', { name: 'Run' }).click();
    await p.locator('h1 .badge', { hasText: 'completed' }).waitFor(LONG);
    await p.getByText('2/2 done').waitFor(LONG);
    await expect(p.getByRole('status').first().textContent()).resolves.toBe('connected');
    // The event log arrived live and names the run's end.
    await p.locator('.log li', { hasText: 'run-ended' }).waitFor(LONG);
    // Dependencies as an indented list: b one level under a.
    await p.locator('.deps li[data-depth="1"]', { hasText: 'b' }).waitFor(LONG);
  });

  it('marks the estimated part of a cost in the list, the sprint and its tasks', async () => {
    const { root: r } = await root();
    // Like codex and gemini: task "priced" reports tokens only, so its cost is priced from the table.
    const priced = {
      name: 'priced',
      run: async (ctx: { task: { id: string } }) =>
        AgentResultSchema.parse({
          success: true,
          summary: 'done',
          costUsd: ctx.task.id === 'priced' ? 0.5 : 0.25,
          costEstimated: ctx.task.id === 'priced',
        }),
    };
    const server = await serve({
      root: r,
      agents: { enabled: ['priced'], factories: { priced: () => priced } },
    });
    await createSprint(server, {
      name: 'prices',
      tasks: [customTask('priced'), customTask('reported')],
    });
    const p = await page();
    await openSprint(p, server, 'prices');
    await p.getByRole('button', { name: 'Run' }).click();
    await p.locator('h1 .badge', { hasText: 'completed' }).waitFor(LONG);
    const cost = p.locator('.facts div', { hasText: 'Cost' }).locator('dd');
    await cost.filter({ hasText: '$0.7500 $0.5000 of it estimated' }).waitFor(LONG);
    const row = (task: string) => p.getByRole('row', { name: new RegExp(`^${task} `) });
    await expect(row('priced').textContent()).resolves.toContain('$0.5000 estimated');
    await expect(row('reported').textContent()).resolves.toContain('$0.2500');
    await expect(row('reported').textContent()).resolves.not.toContain('estimated');
    await p.getByRole('link', { name: 'All sprints' }).click();
    const listed = p.getByRole('row', { name: /prices/ });
    await expect(listed.textContent(LONG)).resolves.toContain('$0.7500 $0.5000 of it estimated');
  });

  it('pauses, resumes and stops a shell-agent run', async () => {
    const { dir, root: r } = await root();
    const server = await serve({ root: r });
    const gate = join(dir, 'gate');
    const wait = `while [ ! -e ${gate} ]; do sleep 0.05; done`;
    await createSprint(server, {
      name: 'controls',
      tasks: [
        { id: 'one', type: 'shell-task', command: wait },
        { id: 'two', type: 'shell-task', command: 'sleep 60', dependsOn: ['one'] },
      ],
    });
    const p = await page();
    p.on('dialog', (d) => void d.accept());
    await openSprint(p, server, 'controls');
    await p.getByLabel('Agent').fill('shell');
    await p.getByRole('button', { name: 'Run' }).click();
    await p.locator('.card', { hasText: 'one' }).waitFor(LONG);
    await p.getByRole('button', { name: 'Pause' }).click();
    await writeFile(gate, '');
    await p.locator('h1 .badge', { hasText: 'paused' }).waitFor(LONG);
    await p.getByRole('button', { name: 'Resume' }).click();
    await p.locator('.card', { hasText: 'two' }).waitFor(LONG);
    await p.getByRole('button', { name: 'Stop' }).click();
    await p.locator('h1 .badge', { hasText: 'paused' }).waitFor(LONG);
    const { body } = await api(
      server,
      'GET',
      '/sprints/' + encodeURIComponent((await api(server, 'GET', '/sprints')).body.sprints[0].id),
    );
    expect(body.sprint.tasks.find((t: { id: string }) => t.id === 'one').status).toBe('done');
    expect(body.sprint.tasks.find((t: { id: string }) => t.id === 'two').status).toBe('pending');
  });

  it('skips a blocked task with a reason and retries it, each after a confirm', async () => {
    const { dir, root: r } = await root();
    const server = await serve({ root: r });
    const gate = join(dir, 'fixed');
    await createSprint(server, {
      name: 'skippy',
      config: { autoCommit: false, retry: { maxAttempts: 1 } },
      tasks: [
        { id: 'broken', type: 'shell-task', command: `test -e ${gate}` },
        { id: 'after', type: 'shell-task', command: 'true', dependsOn: ['broken'] },
      ],
    });
    const p = await page();
    // The first dialog is dismissed (nothing may change), later ones are answered.
    const answers: (string | null)[] = [null, 'done by hand', ''];
    p.on('dialog', (d) => {
      const answer = answers.shift();
      void (answer === null ? d.dismiss() : d.accept(answer));
    });
    await openSprint(p, server, 'skippy');
    await p.getByLabel('Agent').fill('shell');
    await p.getByRole('button', { name: 'Run' }).click();
    await p.locator('h1 .badge', { hasText: 'blocked' }).waitFor(LONG);
    const row = p.locator('tbody tr', { hasText: 'broken' });
    await row.getByRole('button', { name: 'Skip broken' }).click();
    expect(answers).toHaveLength(2);
    await expect(row.locator('.badge').textContent()).resolves.toBe('blocked');
    await row.getByRole('button', { name: 'Skip broken' }).click();
    await row.locator('.badge', { hasText: 'skipped' }).waitFor(LONG);
    await row.getByText('done by hand').waitFor(LONG);
    const skipped = await api(server, 'GET', '/sprints');
    const id = skipped.body.sprints[0].id as string;
    const events = await (
      await fetch(`${server.url}/sprints/${id}/events?after=0`, {
        headers: { authorization: `Bearer ${TOKEN}` },
        signal: AbortSignal.timeout(1500),
      }).then((r) => r.body!.getReader().read())
    ).value;
    expect(new TextDecoder().decode(events)).toContain('"requestedBy":"api (');
    await row.getByRole('button', { name: 'Retry broken' }).click();
    await row.locator('.badge', { hasText: 'pending' }).waitFor(LONG);
    await writeFile(gate, '');
    await p.getByRole('button', { name: 'Resume' }).click();
    await p.locator('h1 .badge', { hasText: 'completed' }).waitFor(LONG);
    const { body } = await api(server, 'GET', `/sprints/${id}`);
    expect(body.sprint.tasks.map((t: { status: string }) => t.status)).toEqual(['done', 'done']);
  });

  it("shows a running isolated task's branch, worktree and stage", async () => {
    const { dir, root: r } = await root();
    await gitProject(dir);
    const server = await serve({ root: r });
    const gate = outside(dir, 'gate');
    const wait = `while [ ! -e ${gate} ]; do sleep 0.05; done`;
    await createSprint(server, {
      name: 'isolated',
      tasks: [
        { id: 'left', type: 'shell-task', command: wait },
        { id: 'right', type: 'shell-task', command: wait },
      ],
    });
    const p = await page();
    await openSprint(p, server, 'isolated');
    await p.getByLabel('Agent').fill('shell');
    await p.getByLabel('Concurrency').fill('2');
    await p.getByRole('button', { name: 'Run' }).click();
    const card = p.locator('.card', { hasText: 'left' });
    await card.locator('.wt', { hasText: 'sprint-task/' }).waitFor(LONG);
    const line = (await card.locator('.wt').textContent()) ?? '';
    expect(line).toMatch(/^branch sprint-task\/[^/]+\/left-1 in \/\S+ \(created\)$/);
    // The same in the task list.
    await p
      .locator('tbody tr', { hasText: 'right' })
      .locator('.wt', { hasText: 'right-1' })
      .waitFor(LONG);
    await writeFile(gate, '');
    await p.locator('h1 .badge', { hasText: 'completed' }).waitFor(LONG);
    await p
      .locator('tbody tr', { hasText: 'left' })
      .locator('.wt', { hasText: 'integrated' })
      .or(p.locator('tbody tr', { hasText: 'left' }).locator('.wt', { hasText: 'removed' }))
      .waitFor(LONG);
  });

  it('follows isolated tasks through the merge queue live, and names the file of a conflict left for a human', async () => {
    const { dir, root: r } = await root();
    const git = await gitProject(dir, { 'shared.txt': 'one\ntwo\nthree\n' });
    const server = await serve({ root: r });
    const gates = outside(dir, 'gates');
    await mkdir(gates);
    // Each task waits for its gate; `clash` takes its gate away, so each attempt waits anew.
    // Two at once in git: isolation `auto` gives each task its own worktree.
    const edit = (id: string, consume: string) =>
      `until [ -e ${gates}/${id} ]; do sleep 0.05; done; ${consume}sed -i 's/^two.*$/two by ${id}/' shared.txt`;
    await createSprint(server, {
      name: 'queue',
      tasks: [
        { id: 'lands', type: 'shell-task', command: edit('lands', '') },
        { id: 'clash', type: 'shell-task', command: edit('clash', `rm ${gates}/clash; `) },
      ],
    });
    const p = await page();
    await openSprint(p, server, 'queue');
    // Set in the page: gone if anything reloads it.
    await p.evaluate('window.stayed = true');
    await p.getByLabel('Agent').fill('shell');
    await p.getByLabel('Concurrency').fill('2');
    await p.getByRole('button', { name: 'Run' }).click();
    const row = (id: string) => p.locator('tbody tr', { hasText: id }).locator('.wt');
    const branch = (id: string, attempt: number) =>
      new RegExp(`^branch sprint-task/[^/]+/${id}-${attempt} in /\\S+ \\(created\\)$`);
    // While both run: each in its own worktree on its own branch.
    for (const id of ['lands', 'clash']) {
      await p
        .locator('.card', { hasText: id })
        .locator('.wt', { hasText: branch(id, 1) })
        .waitFor(LONG);
      await row(id)
        .filter({ hasText: branch(id, 1) })
        .waitFor(LONG);
    }
    // `lands` finishes first; its integration waits while a person has shared.txt changed in the checkout.
    await writeFile(join(dir, 'shared.txt'), 'one\ntwo (unsaved)\nthree\n');
    await writeFile(join(gates, 'lands'), '');
    const queued = (id: string) => p.locator('.queue li', { hasText: id });
    await queued('lands')
      .filter({
        hasText:
          /^lands waiting-for-user sprint-task\/[^/]+\/lands-1 waiting: integrating would change shared\.txt/,
      })
      .waitFor(LONG);
    git('checkout', '--', 'shared.txt');
    // Then it is integrated onto main and leaves the queue.
    const landed = row('lands').filter({ hasText: /lands-1 .*, integrated as [0-9a-f]{12}$/ });
    await landed.waitFor(LONG);
    expect(await queued('lands').count()).toBe(0);
    expect(await landed.textContent()).toContain(git('rev-parse', 'main').slice(0, 12));
    // `clash` changed the same line: it conflicts, and its second attempt starts on the new head.
    await writeFile(join(gates, 'clash'), '');
    await p
      .locator('.card', { hasText: 'clash' })
      .locator('.wt', { hasText: branch('clash', 2) })
      .waitFor(LONG);
    // Someone changes that line on main meanwhile: the second conflict is left for a human.
    await writeFile(join(dir, 'shared.txt'), 'one\ntwo by a person\nthree\n');
    git('commit', '-q', '-am', 'a person edits line two');
    await writeFile(join(gates, 'clash'), '');
    await p.locator('h1 .badge', { hasText: 'needs-human' }).waitFor(LONG);
    const human = p.locator('.human');
    await human.getByText('clash conflicted with integrated work twice').waitFor(LONG);
    await human.getByText('- shared.txt').waitFor(LONG);
    // Its worktree stays, in the task list and in the merge queue, for that person.
    await row('clash')
      .filter({ hasText: /clash-2 in \/\S+ \(kept\)$/ })
      .waitFor(LONG);
    await queued('clash')
      .filter({
        hasText: /^clash kept sprint-task\/[^/]+\/clash-2 kept .* while clash is needs-human$/,
      })
      .waitFor(LONG);
    expect(await p.evaluate('window.stayed')).toBe(true);
  });

  it('shows a task in the merge queue as verifying while its verify runs on the integrated tree', async () => {
    const { dir, root: r } = await root();
    const git = await gitProject(dir);
    const server = await serve({ root: r });
    const gates = outside(dir, 'verify-gates');
    await mkdir(gates);
    // `beta` lands first, so `alpha` is integrated onto a newer head and its
    // verify runs twice: in its worktree (passes at once, leaving a mark), then
    // on the integrated tree, where it waits for the test's gate.
    // Each gate is a FIFO: a read blocks until the test writes to it (no polling, no timer).
    execFileSync('mkfifo', [join(gates, 'go'), join(gates, 'release')]);
    const verify = `if [ -e ${gates}/checked ]; then cat ${gates}/release > /dev/null; else : > ${gates}/checked; fi`;
    await createSprint(server, {
      name: 'verifying',
      tasks: [
        {
          id: 'alpha',
          type: 'shell-task',
          command: `cat ${gates}/go > /dev/null; echo alpha > alpha.txt`,
          verify,
        },
        { id: 'beta', type: 'shell-task', command: 'echo beta > beta.txt' },
      ],
    });
    const p = await page();
    await openSprint(p, server, 'verifying');
    await p.getByLabel('Agent').fill('shell');
    await p.getByLabel('Concurrency').fill('2');
    await p.getByRole('button', { name: 'Run' }).click();
    await p
      .locator('tbody tr', { hasText: 'beta' })
      .locator('.wt', { hasText: /beta-1 .*, integrated as [0-9a-f]{12}$/ })
      .waitFor(LONG);
    await writeFile(join(gates, 'go'), '');
    const queued = p.locator('.queue li', { hasText: 'alpha' });
    await queued.filter({ hasText: /^alpha verifying sprint-task\/[^/]+\/alpha-1/ }).waitFor(LONG);
    // Nothing has landed on main while the integrated tree is being verified.
    expect(git('log', '--format=%s', 'main')).not.toMatch(/alpha/);
    await writeFile(join(gates, 'release'), '');
    await p.locator('h1 .badge', { hasText: 'completed' }).waitFor(LONG);
    await p
      .locator('tbody tr', { hasText: 'alpha' })
      .locator('.wt', { hasText: /alpha-1 .*, integrated as [0-9a-f]{12}$/ })
      .waitFor(LONG);
    expect(await p.locator('.queue li').count()).toBe(0);
    expect(git('show', 'main:alpha.txt')).toBe('alpha\n');
  });

  it('drops a kept worktree from the merge queue once the completed sprint has removed it', async () => {
    const { dir, root: r } = await root();
    await gitProject(dir);
    const server = await serve({ root: r });
    const id = await createSprint(server, {
      name: 'leftover',
      config: { autoCommit: false, retry: { maxAttempts: 1 } },
      tasks: [
        { id: 'broken', type: 'shell-task', command: 'echo half > half.txt; exit 3' },
        { id: 'fine', type: 'shell-task', command: 'true' },
      ],
    });
    const p = await page();
    await openSprint(p, server, 'leftover');
    await p.getByLabel('Agent').fill('shell');
    await p.getByLabel('Concurrency').fill('2');
    await p.getByRole('button', { name: 'Run' }).click();
    await p.locator('h1 .badge', { hasText: 'blocked' }).waitFor(LONG);
    const kept = p.locator('.queue li', { hasText: 'broken' }).filter({ hasText: /broken kept/ });
    await kept.waitFor(LONG);
    const path = /in (\/\S+) \(kept\)/.exec(
      (await p.locator('tbody tr', { hasText: 'broken' }).locator('.wt').textContent()) ?? '',
    )?.[1];
    expect(path && existsSync(path)).toBe(true);
    // Skipped through the API as soon as the closing run lets go of the sprint (409 until then).
    const skip = () =>
      api(server, 'POST', `/sprints/${id}/tasks/broken/skip`, { reason: 'not needed' });
    await expect.poll(async () => (await skip()).status, LONG).toBe(200);
    await p
      .locator('tbody tr', { hasText: 'broken' })
      .locator('.badge', { hasText: 'skipped' })
      .waitFor(LONG);
    await p.getByRole('button', { name: 'Resume' }).click();
    await p.locator('h1 .badge', { hasText: 'completed' }).waitFor(LONG);
    expect(await p.locator('.queue li').count()).toBe(0);
    await expect.poll(() => existsSync(path!), LONG).toBe(false);
  });

  it('reconnects after the server restarts and misses nothing', async () => {
    const { root: r } = await root();
    let server = await startServer({
      port: 0,
      token: TOKEN,
      handleSignals: false,
      env: {},
      root: r,
      agents: { enabled: ['noop'] },
    });
    const port = Number(new URL(server.url).port);
    const id = await createSprint(server, { name: 'restart', tasks: [customTask('a')] });
    const p = await page();
    await openSprint(p, server, 'restart');
    await p.getByRole('status').filter({ hasText: 'connected' }).waitFor(LONG);
    await server.close();
    await p.getByRole('status').filter({ hasText: 'reconnecting' }).waitFor(LONG);
    server = await startServer({
      port,
      token: TOKEN,
      handleSignals: false,
      env: {},
      root: r,
      agents: { enabled: ['noop'] },
    });
    cleanups.push(() => server.close());
    expect((await api(server, 'POST', `/sprints/${id}/run`, { agent: 'noop' })).status).toBe(202);
    await p.locator('h1 .badge', { hasText: 'completed' }).waitFor(LONG);
    await p
      .getByRole('status')
      .filter({ hasText: /^connected$/ })
      .waitFor(LONG);
    // Each event once, in order, across the restart.
    const seqs = await p.locator('.log li code').allTextContents();
    expect(seqs.map(Number)).toEqual([...seqs.keys()].map((i) => i + 1));
  });

  it('fits a 375-px phone and has no serious accessibility violations', async () => {
    const { root: r } = await root();
    const server = await serve({ root: r });
    await createSprint(server, {
      name: 'a-sprint-with-a-rather-long-name-for-a-phone',
      tasks: [customTask('a'), customTask('b', { dependsOn: ['a'] })],
    });
    const p = await page();
    await p.setViewportSize({ width: 375, height: 800 });
    const audit = async (where: string) => {
      const { serious, overflow } = await auditPage(p);
      expect(serious.map((v) => `${where}: ${v}`)).toEqual([]);
      expect(overflow, `${where} overflows the 375-px viewport`).toBeLessThanOrEqual(0);
    };
    await p.goto(server.url);
    await p.getByLabel('Token').waitFor(LONG);
    await audit('login');
    await p.getByLabel('Token').fill(TOKEN);
    await p.keyboard.press('Enter');
    await p.getByRole('link', { name: /a-sprint-with/ }).waitFor(LONG);
    await audit('sprints');
    await p.screenshot({ path: join(tmpdir(), 'sprint-dashboard-375.png'), fullPage: true });
    // Keyboard alone: tab to the sprint's link and open it.
    await p.getByRole('link', { name: /a-sprint-with/ }).focus();
    await p.keyboard.press('Enter');
    await p.getByRole('button', { name: 'Run' }).waitFor(LONG);
    await audit('sprint');
  });

  it('answers a needs-human question from the real claude CLI', async () => {
    const fake = await startFakeAnthropic([
      {
        type: 'structured-output',
        output: {
          status: 'needs-human',
          summary: 'Which API version?',
          deferred_items: [],
          files_changed: [],
          human_needed: {
            reason: 'Use the v1 or the v2 API?',
            details: 'v1 is deprecated.',
            options: ['v1', 'v2'],
          },
        },
        usage: { input_tokens: 100, output_tokens: 20 },
      },
      {
        type: 'structured-output',
        output: { status: 'completed', summary: 'Used v2.', deferred_items: [], files_changed: [] },
        usage: { input_tokens: 100, output_tokens: 20 },
      },
    ]);
    const home = await mkdtemp(join(tmpdir(), 'sprint-server-home-'));
    cleanups.push(async () => {
      await fake.close();
      await rm(home, { recursive: true, force: true });
    });
    const { root: r } = await root();
    const server = await serve({
      root: r,
      agents: {
        enabled: ['claude'],
        claude: {
          binary: findClaudeBin(import.meta.dirname),
          inheritEnv: false,
          env: claudeTestEnv({
            baseUrl: fake.url,
            home,
            extra: { ANTHROPIC_API_KEY: 'sk-ant-test-key' },
          }),
          killGraceMs: 1000,
        },
      },
    });
    await createSprint(server, { name: 'ask', tasks: [customTask('pick-api')] });
    const p = await page();
    await openSprint(p, server, 'ask');
    await p.getByLabel('Agent').fill('claude');
    await p.getByRole('button', { name: 'Run' }).click();
    await p
      .locator('.question', { hasText: 'Use the v1 or the v2 API?' })
      .waitFor({ timeout: 90_000 });
    await p.getByRole('button', { name: 'Use “v2”' }).click();
    await p.getByRole('button', { name: 'Answer' }).click();
    await p.locator('h1 .badge', { hasText: 'completed' }).waitFor({ timeout: 90_000 });
    const second = JSON.stringify(fake.messageRequests().at(-1)?.body ?? '');
    expect(second).toContain('v2');
  });
});
