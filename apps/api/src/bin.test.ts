import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SprintRootStore } from '@sprint/core';
import { afterEach, describe, expect, it } from 'vitest';

const TOKEN = 'test-token-0123456789abcdef';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function call(url: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
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

/** Polls `check` until it returns a value; a generous overall limit, never a fixed wait. */
async function waitFor<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 25));
  }
}

describe('sprint-api bin', () => {
  it('stops a running agent on SIGTERM, exits 0 and leaves the sprint resumable', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sprint-api-bin-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const r = join(dir, '.claude', 'sprints');
    await mkdir(r, { recursive: true });
    const bin = join(import.meta.dirname, '..', 'dist', 'bin.js');
    const child = spawn(
      process.execPath,
      [bin, '--port', '0', '--root', r, '--agents', 'shell', '--allow-task-commands'],
      {
        env: { ...process.env, SPRINT_API_TOKEN: TOKEN },
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
    let stderr = '';
    child.stderr.setEncoding('utf8');
    const url = await new Promise<string>((ok, fail) => {
      child.stderr.on('data', (chunk: string) => {
        stderr += chunk;
        const m = /listening on (http:\/\/\S+)/.exec(stderr);
        if (m) ok(m[1]!);
      });
      void exited.then(() => fail(new Error(`sprint-api exited: ${stderr}`)));
    });
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const created = await call(url, 'POST', '/sprints', {
      config: { autoCommit: false },
      name: 'sigterm',
      tasks: [{ id: 'slow', type: 'shell-task', command: 'sleep 30' }],
    });
    expect(created.status).toBe(201);
    const id = created.body.sprint.id as string;
    expect((await call(url, 'POST', `/sprints/${id}/run`, { agent: 'shell' })).status).toBe(202);
    await waitFor(async () => {
      const res = await call(url, 'GET', `/sprints/${id}`);
      return res.body.sprint.current.length ? true : undefined;
    }, 'the task to run');
    const sent = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - sent).toBeLessThan(10_000);
    expect(stderr).not.toContain(TOKEN);
    const store = new SprintRootStore({ root: r });
    const { state } = await store.load(id);
    expect(state.status).toBe('paused');
    expect(state.tasks.slow?.status).toBe('pending');
  });
});
