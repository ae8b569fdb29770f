import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SprintRootStore } from '@sprint/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from './server.js';
import {
  callServer as call,
  customTask,
  TOKEN,
  tempRoot,
  waitFor,
} from './test-support/harness.js';

// The config of `POST /sprints` and the options of `run`/`resume`, through a real listening server.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A server over a fresh sprints root in a temp folder that is not in git. */
async function serve(
  allowTaskCommands = false,
  more: { allowNotifyUrls?: string[]; env?: Record<string, string> } = {},
): Promise<{ server: RunningServer; root: string }> {
  const { root, cleanup } = await tempRoot();
  cleanups.push(cleanup);
  const server = await startServer({
    port: 0,
    root,
    token: TOKEN,
    handleSignals: false,
    env: more.env ?? {},
    shutdownGraceMs: 2000,
    readCacheMs: 0,
    allowTaskCommands,
    allowNotifyUrls: more.allowNotifyUrls,
    agents: { enabled: ['noop'], defaultAgent: 'noop' },
  });
  cleanups.push(() => server.close());
  return { server, root };
}

interface Problem {
  code: string;
  detail: string;
  issues?: { field: string; message: string }[];
}

async function sprintsIn(server: RunningServer): Promise<string[]> {
  const list = await call(server, 'GET', '/sprints');
  return (list.body.sprints as { id: string }[]).map((s) => s.id);
}

describe('sprint config in requests', () => {
  it('takes every SPRINT.yaml config key a request may set, writes it as the file spells it, and shows it in camelCase', async () => {
    const { server, root } = await serve(true, {
      allowNotifyUrls: ['https://example.test/', 'https://hooks.slack.test'],
    });
    const res = await call(server, 'POST', '/sprints', {
      name: 'isolated',
      config: {
        autoCommit: false,
        contextCache: true,
        parallel: false,
        isolation: 'worktree',
        mergeVerify: 'pnpm test',
        targetBranch: 'sprint/isolated',
        worktrees: { maxDisk: '2GB' },
        prices: { 'my-model': { input: 1.25, output: 10, cacheRead: 0.125 } },
        notify: [
          { webhook: 'https://example.test/hook', secret: 'k3y-k3y-k3y', events: ['completed'] },
          { slack: 'https://hooks.slack.test/x' },
          { command: './notify.sh', events: ['needs-human'] },
        ],
      },
      tasks: [customTask('a')],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const id = res.body.sprint.id as string;

    // As a sprint file spells it (kebab-case), so the CLI reads the same sprint.
    const yaml = await readFile(join(root, id, 'SPRINT.yaml'), 'utf8');
    for (const line of [
      /^ {2}context-cache: true$/m,
      /^ {2}isolation: worktree$/m,
      /^ {2}merge-verify: pnpm test$/m,
      /^ {2}target-branch: sprint\/isolated$/m,
      /^ {4}max-disk: 2GB$/m,
      /^ {6}cache-read: 0\.125$/m,
    ]) {
      expect(yaml).toMatch(line);
    }
    const { config } = (await new SprintRootStore({ root }).load(id)).definition;
    expect(config).toMatchObject({
      isolation: 'worktree',
      mergeVerify: 'pnpm test',
      targetBranch: 'sprint/isolated',
      worktrees: { maxDiskBytes: 2 * 1024 ** 3 },
      contextCache: true,
      parallel: false,
      prices: { 'my-model': { input: 1.25, output: 10, cacheRead: 0.125 } },
    });
    expect(config.notify).toEqual([
      {
        kind: 'webhook',
        url: 'https://example.test/hook',
        secret: 'k3y-k3y-k3y',
        events: ['completed'],
      },
      { kind: 'slack', url: 'https://hooks.slack.test/x' },
      { kind: 'command', command: './notify.sh', events: ['needs-human'] },
    ]);

    // GET shows the configuration in the request's names, with defaults, never a key.
    const page = await call(server, 'GET', `/sprints/${id}`);
    expect(page.body.sprint.config).toEqual({
      maxTasks: 10,
      // Durations in seconds, as taskTimeout and retry.delay are.
      timeBox: '14400s',
      autoCommit: false,
      contextCache: true,
      parallel: false,
      // The defaults a run applies, filled in.
      maxIterations: 30,
      taskTimeout: '1800s',
      concurrency: 1,
      retry: { maxAttempts: 3, delay: '1s', backoff: 2 },
      agents: {},
      isolation: 'worktree',
      mergeVerify: 'pnpm test',
      targetBranch: 'sprint/isolated',
      worktrees: { maxDisk: 2 * 1024 ** 3 },
      prices: { 'my-model': { input: 1.25, output: 10, cacheRead: 0.125 } },
      notify: [
        { webhook: 'https://example.test/hook', events: ['completed'], signed: true },
        // A Slack URL's path is its key.
        { slack: 'https://hooks.slack.test/…' },
        { command: './notify.sh', events: ['needs-human'] },
      ],
    });
    expect(JSON.stringify(page.body)).not.toContain('k3y-k3y-k3y');
    // Durations and retry as SPRINT.yaml writes them, which a request takes back.
    const timed = await call(server, 'POST', '/sprints', {
      name: 'timed',
      config: {
        taskTimeout: 900,
        retry: { maxAttempts: 2, delay: '250ms', backoff: 3 },
        agent: 'noop',
        maxCostUsd: 2.5,
        maxIterations: 7,
        concurrency: 2,
      },
    });
    expect(timed.status, JSON.stringify(timed.body)).toBe(201);
    expect(timed.body.sprint.config).toMatchObject({
      taskTimeout: '900s',
      retry: { maxAttempts: 2, delay: '250ms', backoff: 3 },
      agent: 'noop',
      maxCostUsd: 2.5,
      maxIterations: 7,
      concurrency: 2,
    });
    // The OpenAPI document describes it.
    const doc = await call(server, 'GET', '/openapi.json');
    expect(doc.body.components.schemas.SprintStatusReport.required).toContain('config');
  });

  it('refuses what a sprint file would refuse, naming each field, and writes nothing', async () => {
    const { server } = await serve(true);
    const res = await call(server, 'POST', '/sprints', {
      name: 'wrong',
      config: {
        isolation: 'sideways',
        targetBranch: 'sprint/..oops',
        worktrees: { maxDisk: 'lots' },
        notify: [
          { webhook: 'ftp://example.test/hook' },
          { webhook: 'https://example.test/a', slack: 'https://example.test/b' },
          { slack: 'https://example.test/c', events: ['sometimes'] },
        ],
      },
    });
    expect(res.status).toBe(422);
    const problem = res.body as Problem;
    expect(problem.code).toBe('VALIDATION_FAILED');
    const fields = Object.fromEntries(problem.issues!.map((i) => [i.field, i.message]));
    expect(Object.keys(fields).sort()).toEqual(
      [
        'config.isolation',
        'config.targetBranch',
        'config.worktrees.maxDisk',
        'config.notify.2.events.0',
      ].sort(),
    );
    expect(fields['config.targetBranch']).toMatch(/not a branch name git accepts; use letters/);
    expect(fields['config.worktrees.maxDisk']).toMatch(/expected a size such as 10GB/);
    expect(await sprintsIn(server)).toEqual([]);

    // With the shapes right, core's reading of notify answers for each target.
    const notify = await call(server, 'POST', '/sprints', {
      name: 'wrong',
      config: {
        notify: [
          { webhook: 'ftp://example.test/hook' },
          { webhook: 'https://example.test/a', slack: 'https://example.test/b' },
        ],
      },
    });
    expect(notify.status).toBe(422);
    const issues = (notify.body as Problem).issues!;
    expect(issues.map((i) => i.field)).toEqual(['config.notify.0.webhook', 'config.notify.1']);
    expect(issues[0]!.message).toMatch(/expected an http\(s\) URL/);
    expect(issues[1]!.message).toMatch(/has one kind, found webhook and slack/);
    expect(await sprintsIn(server)).toEqual([]);
  });

  it("never lets a request name a variable of the server's environment as a webhook key", async () => {
    const { server } = await serve(true);
    const res = await call(server, 'POST', '/sprints', {
      name: 'env',
      config: { notify: [{ webhook: 'https://example.test/a', secretEnv: 'SPRINT_API_TOKEN' }] },
    });
    expect(res.status).toBe(422);
    expect((res.body as Problem).issues).toEqual([
      {
        field: 'config.notify.0.secretEnv',
        message: expect.stringMatching(/send the key in secret/),
      },
    ]);
    expect(await sprintsIn(server)).toEqual([]);
  });

  it('refuses the shell commands of a config (merge-verify, notify command) unless the server allows task commands', async () => {
    const { server } = await serve(false);
    const res = await call(server, 'POST', '/sprints', {
      name: 'commands',
      config: {
        mergeVerify: 'pnpm test',
        notify: [{ slack: 'https://example.test/s' }, { command: './notify.sh' }],
      },
    });
    expect(res.status).toBe(422);
    const problem = res.body as Problem;
    expect(problem.code).toBe('VALIDATION_FAILED');
    expect(problem.issues!.map((i) => i.field)).toEqual([
      'config.mergeVerify',
      'config.notify.1.command',
    ]);
    expect(problem.issues![0]!.message).toMatch(/--allow-task-commands/);
    expect(await sprintsIn(server)).toEqual([]);
    // Isolation itself is no command: taken on any server.
    const plain = await call(server, 'POST', '/sprints', {
      name: 'plain',
      config: { isolation: 'shared' },
    });
    expect(plain.status, JSON.stringify(plain.body)).toBe(201);
  });
});

describe('notification URLs in requests', () => {
  it('refuses webhook and Slack URLs unless the server allows them, naming each field and the fix', async () => {
    const { server } = await serve();
    const res = await call(server, 'POST', '/sprints', {
      name: 'ssrf',
      config: {
        notify: [
          { webhook: 'http://169.254.169.254/latest/meta-data' },
          { slack: 'http://127.0.0.1:6379/' },
        ],
      },
    });
    expect(res.status).toBe(422);
    const problem = res.body as Problem;
    expect(problem.code).toBe('NOTIFY_URL_NOT_ALLOWED');
    expect(problem.issues!.map((i) => i.field)).toEqual([
      'config.notify.0.webhook',
      'config.notify.1.slack',
    ]);
    expect(problem.issues![0]!.message).toMatch(/--allow-notify-urls .*SPRINT_ALLOW_NOTIFY_URLS/);
    expect(await sprintsIn(server)).toEqual([]);
  });

  it('takes the URLs under an allowed prefix only: same scheme, host and port, the path below it', async () => {
    const { server } = await serve(false, {
      env: {
        SPRINT_ALLOW_NOTIFY_URLS: 'https://hooks.example.test/sprint, https://chat.example.test/',
      },
    });
    for (const url of [
      'https://hooks.example.test/sprint',
      'https://hooks.example.test/sprint/build?x=1',
      'https://chat.example.test/a/b',
    ]) {
      const ok = await call(server, 'POST', '/sprints', {
        name: `ok ${Math.random()}`,
        config: { notify: [{ webhook: url }] },
      });
      expect(ok.status, `${url}: ${JSON.stringify(ok.body)}`).toBe(201);
    }
    for (const url of [
      'https://hooks.example.test/sprintx',
      'https://hooks.example.test/other',
      'http://hooks.example.test/sprint',
      'https://hooks.example.test:8443/sprint',
      'https://hooks.example.test.evil.test/sprint',
      'https://hooks.example.test@127.0.0.1/sprint',
      'https://evil.test/?https://hooks.example.test/sprint',
      'https://chat.example.test/../../x'.replace('chat.', 'chat2.'),
    ]) {
      const refused = await call(server, 'POST', '/sprints', {
        name: 'refused',
        config: { notify: [{ slack: url }] },
      });
      expect(refused.status, url).toBe(422);
      expect((refused.body as Problem).issues![0]!.message).toContain(
        'https://hooks.example.test/sprint, https://chat.example.test/',
      );
    }
  });

  it('refuses to start with an entry that is not an http(s) URL prefix', async () => {
    const { root, cleanup } = await tempRoot();
    cleanups.push(cleanup);
    for (const entry of ['hooks.example.test', 'ftp://x.test/', 'https://x.test/?key=1']) {
      await expect(
        startServer({
          port: 0,
          root,
          token: TOKEN,
          handleSignals: false,
          env: {},
          allowNotifyUrls: [entry],
        }),
      ).rejects.toMatchObject({ code: 'SERVER_CONFIG', message: expect.stringContaining(entry) });
    }
  });
});

describe('pause-after in requests', () => {
  it('takes pauseAfter on a task, shows it, and says why the run paused and how to go on', async () => {
    const { server, root } = await serve();
    const created = await call(server, 'POST', '/sprints', {
      name: 'break',
      config: { autoCommit: false },
      tasks: [
        customTask('review', { pauseAfter: true }),
        customTask('after', { dependsOn: ['review'] }),
      ],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.sprint.id as string;
    const task = (page: { sprint: { tasks: { id: string }[] } }, taskId: string) =>
      page.sprint.tasks.find((t) => t.id === taskId);
    expect(task(created.body, 'review')).toMatchObject({ pauseAfter: true });
    expect(task(created.body, 'after')).not.toHaveProperty('pauseAfter');
    const progress = await readFile(join(root, id, 'PROGRESS.yaml'), 'utf8');
    expect(progress).toMatch(/ {4}id: review\n(?: {4}.*\n)*? {4}pause-after: true\n/);
    const added = await call(server, 'POST', `/sprints/${id}/tasks`, {
      tasks: [customTask('late', { pauseAfter: true, dependsOn: ['after'] })],
    });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    const wrong = await call(server, 'POST', `/sprints/${id}/tasks`, {
      tasks: [customTask('odd', { pauseAfter: 'yes' })],
    });
    expect(wrong.status).toBe(422);
    expect((wrong.body as Problem).issues!.map((i) => i.field)).toEqual(['tasks.0.pauseAfter']);

    expect((await call(server, 'POST', `/sprints/${id}/run`, {})).status).toBe(202);
    const paused = await waitFor(async () => {
      const page = await call(server, 'GET', `/sprints/${id}`);
      return page.body.sprint.status === 'paused' && !page.body.run ? page.body : undefined;
    }, 'the planned break');
    expect(paused.sprint).toMatchObject({
      reason: 'paused after task review (pause-after)',
      stopReason: { kind: 'paused', taskId: 'review' },
      next: `POST /sprints/${id}/resume`,
    });
    expect(task(paused, 'after')).toMatchObject({ status: 'pending' });
  });
});

describe('isolation of a run', () => {
  it("reaches the runner from the sprint's config and from run's body, which overrides it", async () => {
    const { server } = await serve();
    const created = await call(server, 'POST', '/sprints', {
      name: 'no-git',
      config: { autoCommit: false, isolation: 'worktree' },
      tasks: [customTask('a')],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.sprint.id as string;

    // The temp project is not in git: worktrees are a usage error, found before anything runs.
    const refused = await call(server, 'POST', `/sprints/${id}/run`, {});
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'INVALID_OPTIONS' });
    expect((refused.body as Problem).detail).toMatch(/needs a git repository/);
    const alsoRefused = await call(server, 'POST', `/sprints/${id}/run`, { isolation: 'worktree' });
    expect(alsoRefused.body).toMatchObject({ code: 'INVALID_OPTIONS' });

    const wrong = await call(server, 'POST', `/sprints/${id}/run`, { isolation: 'sideways' });
    expect(wrong.status).toBe(422);
    expect((wrong.body as Problem).issues!.map((i) => i.field)).toEqual(['isolation']);

    const started = await call(server, 'POST', `/sprints/${id}/run`, { isolation: 'shared' });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const result = await waitFor(async () => {
      const r = await call(server, 'GET', `/sprints/${id}/result`);
      return r.status === 200 ? r.body : undefined;
    }, 'the run result');
    expect(result.status).toBe('completed');
  });

  it('documents isolation and the other config keys in the OpenAPI document', async () => {
    const { server } = await serve();
    const doc = (await call(server, 'GET', '/openapi.json')).body as {
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    const config = doc.components.schemas.SprintConfigInput!.properties!;
    expect(config.isolation).toMatchObject({ enum: ['auto', 'worktree', 'shared'] });
    for (const key of [
      'mergeVerify',
      'targetBranch',
      'worktrees',
      'notify',
      'prices',
      'parallel',
    ]) {
      expect(config, key).toHaveProperty(key);
    }
    expect(doc.components.schemas.RunOptions!.properties!.isolation).toMatchObject({
      enum: ['auto', 'worktree', 'shared'],
    });
    expect(doc.components.schemas.ResumeOptions!.properties).toHaveProperty('isolation');
  });
});
