import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copy, EXAMPLES, runCli, startCli, tempDir } from './helpers.js';

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

    server.child.kill('SIGINT');
    const ended = await server.done(20_000);
    expect(ended.code).toBe(130);
    expect(ended.stderr).toContain('stopped');
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
