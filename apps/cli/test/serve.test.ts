import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copy, EXAMPLES, runCli, startCli, tempDir } from './helpers.js';

function addTask(url: string, token: string, task: Record<string, unknown>): Promise<Response> {
  return fetch(`${url}/sprints/2026-01-15_demo-sprint/tasks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ tasks: [task] }),
  });
}

describe('sprint serve', () => {
  it('serves the sprints under --root on 127.0.0.1 and stops on Ctrl-C', async () => {
    const cwd = tempDir();
    copy(join(EXAMPLES, 'demo-sprint'), join(cwd, 'sprints/2026-01-15_demo-sprint'));
    const server = startCli(['serve', '--port', '0', '--root', 'sprints'], { cwd });
    await server.waitForOutput(/Serving .* on http:\/\/127\.0\.0\.1:\d+/);
    await server.waitForOutput(/API token .*: \S+/);
    const url = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.stdout)![1]!;
    const token = /API token [^:]*: (\S+)/.exec(server.stdout)![1]!;

    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    expect((await fetch(`${url}/sprints`)).status).toBe(401);
    // The dashboard is served by the same process, and carries no token.
    expect(server.stdout).toContain(`Dashboard: ${url}/`);
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<div id="app">');
    const list = await fetch(`${url}/sprints`, { headers: { authorization: `Bearer ${token}` } });
    expect(list.status).toBe(200);
    const body = (await list.json()) as { sprints: { id: string }[] };
    expect(body.sprints.map((s) => s.id)).toEqual(['2026-01-15_demo-sprint']);
    // One line says where it listens (the server's own would repeat it on stderr).
    expect(server.stderr).not.toContain('listening on');
    // Shell commands in requests are off, and the refusal names the flag that turns them on.
    const refused = await addTask(url, token, { id: 'x', type: 'chore', command: 'true' });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain('sprint serve --allow-task-commands');

    server.child.kill('SIGINT');
    const ended = await server.done(20_000);
    expect(ended.code).toBe(130);
    expect(ended.stderr).toContain('stopped');
  });

  it('takes tasks with a shell command with --allow-task-commands', async () => {
    const cwd = tempDir();
    copy(join(EXAMPLES, 'demo-sprint'), join(cwd, 'sprints/2026-01-15_demo-sprint'));
    const server = startCli(
      ['serve', '--port', '0', '--root', 'sprints', '--allow-task-commands'],
      { cwd },
    );
    await server.waitForOutput(/API token .*: \S+/);
    const url = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.stdout)![1]!;
    const token = /API token [^:]*: (\S+)/.exec(server.stdout)![1]!;
    const added = await addTask(url, token, { id: 'x', type: 'chore', command: 'true' });
    expect(added.status).toBe(200);
    expect(await added.json()).toMatchObject({ added: ['x'] });
    server.child.kill('SIGINT');
    expect((await server.done(20_000)).code).toBe(130);
  });

  it('offers the agents --agents names (shell too), and refuses a name nobody provides (exit 64)', async () => {
    const cwd = tempDir();
    copy(join(EXAMPLES, 'demo-sprint'), join(cwd, 'sprints/2026-01-15_demo-sprint'));
    const server = startCli(
      ['serve', '--port', '0', '--root', 'sprints', '--agents', 'shell,noop'],
      {
        cwd,
      },
    );
    await server.waitForOutput(/API token .*: \S+/);
    const url = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.stdout)![1]!;
    const token = /API token [^:]*: (\S+)/.exec(server.stdout)![1]!;
    // The run body's agent is one of the offered ones (the OpenAPI document lists them).
    const doc = await fetch(`${url}/openapi.json`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(JSON.stringify(await doc.json())).toMatch(/\["shell","noop"\]|\["noop","shell"\]/);
    server.child.kill('SIGINT');
    expect((await server.done(20_000)).code).toBe(130);

    const bad = await runCli(['serve', '--port', '0', '--root', 'sprints', '--agents', 'cursor'], {
      cwd,
    });
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/cursor/);
  });

  it('takes notification URLs in requests only under the --allow-notify-urls prefixes; a bad prefix exits 64', async () => {
    const cwd = tempDir();
    const server = startCli(
      [
        'serve',
        '--port',
        '0',
        '--root',
        'sprints',
        '--allow-notify-urls',
        'https://hooks.example.test/',
      ],
      { cwd },
    );
    await server.waitForOutput(/API token .*: \S+/);
    const url = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(server.stdout)![1]!;
    const token = /API token [^:]*: (\S+)/.exec(server.stdout)![1]!;
    const create = (name: string, webhook: string) =>
      fetch(`${url}/sprints`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name, config: { notify: [{ webhook }] } }),
      });
    expect((await create('allowed', 'https://hooks.example.test/sprint')).status).toBe(201);
    const refused = await create('internal', 'http://127.0.0.1:6379/');
    expect(refused.status).toBe(422);
    expect(await refused.json()).toMatchObject({
      code: 'NOTIFY_URL_NOT_ALLOWED',
      issues: [{ field: 'config.notify.0.webhook' }],
    });
    server.child.kill('SIGINT');
    expect((await server.done(20_000)).code).toBe(130);

    const bad = await runCli(
      ['serve', '--port', '0', '--allow-notify-urls', 'hooks.example.test'],
      {
        cwd,
      },
    );
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('Not a notification URL prefix: "hooks.example.test"');
  });

  it('refuses a public address without a token (exit 64)', async () => {
    const cwd = tempDir();
    const r = await runCli(['serve', '--host', '0.0.0.0', '--port', '0'], {
      cwd,
      cleanEnv: true,
      env: { PATH: process.env.PATH },
    });
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('without a token');
    expect(r.stderr).toContain('Usage: sprint serve');
  });
});
