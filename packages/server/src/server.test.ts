import { spawn } from 'node:child_process';
import { appendFile, chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { AgentRegistry, NoopAgent, SprintRootStore, SprintRunner } from '@sprint/core';
import { afterEach, describe, expect, it } from 'vitest';
import { isLoopback } from './auth.js';
import { type RunningServer, ServerConfigError, startServer } from './server.js';
import {
  callServer as call,
  chattyAgent,
  customTask,
  gateAgent,
  TOKEN,
  tempRoot,
  waitFor,
} from './test-support/harness.js';
import { ofType, openSse } from './test-support/sse-client.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function serve(options: Parameters<typeof startServer>[0] = {}): Promise<RunningServer> {
  const server = await startServer({
    port: 0,
    token: TOKEN,
    handleSignals: false,
    env: {},
    shutdownGraceMs: 2000,
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

async function createSprint(server: RunningServer, body: Record<string, unknown>) {
  const res = await call(server, 'POST', '/sprints', { config: { autoCommit: false }, ...body });
  expect(res.status).toBe(201);
  return res.body.sprint.id as string;
}

function contiguous(ids: number[]): boolean {
  return ids.every((id, i) => id === i + 1);
}

describe('listening server', () => {
  it('binds 127.0.0.1 by default and refuses a non-loopback address without a token', async () => {
    const { root: r } = await root();
    const server = await serve({ root: r });
    expect(server.host).toBe('127.0.0.1');
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com']) {
      await expect(
        startServer({ host, port: 0, root: r, env: {}, handleSignals: false }),
      ).rejects.toThrow(ServerConfigError);
    }
    await expect(
      startServer({ port: 0, root: r, token: 'short', env: {}, handleSignals: false }),
    ).rejects.toThrow(/at least 16/);
    await expect(
      startServer({
        port: 0,
        root: r,
        env: {},
        handleSignals: false,
        agents: { enabled: ['nope'] },
      }),
    ).rejects.toThrow(/Unknown agent nope/);
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('localhost')).toBe(true);
    expect(isLoopback('[::1]')).toBe(true);
    expect(isLoopback('0.0.0.0')).toBe(false);
  });

  it('generates a token when none is set, and never logs it', async () => {
    const { root: r } = await root();
    const lines: string[] = [];
    const server = await serve({ root: r, token: undefined, log: (l) => lines.push(l) });
    expect(server.tokenGenerated).toBe(true);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
    expect((await call(server, 'GET', '/sprints')).status).toBe(200);
    const wrong = await fetch(`${server.url}/sprints`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.status).toBe(401);
    await server.close();
    expect(lines.join('\n')).not.toContain(server.token);
    expect(lines.join('\n')).toContain('listening on');
  });

  it('takes SPRINT_API_TOKEN from the environment', async () => {
    const { root: r } = await root();
    const server = await serve({
      root: r,
      token: undefined,
      env: { SPRINT_API_TOKEN: 'from-the-env-0123456789' },
    });
    expect(server.tokenGenerated).toBe(false);
    const res = await fetch(`${server.url}/sprints`, {
      headers: { authorization: 'Bearer from-the-env-0123456789' },
    });
    expect(res.status).toBe(200);
  });

  it('answers an oversize upload with 413 and keeps serving on the same connection', async () => {
    const { root: r } = await root();
    const server = await serve({ root: r, maxBodyBytes: 64 * 1024 });
    const big = JSON.stringify({ name: 'x', notes: 'n'.repeat(2 * 1024 * 1024) });
    const res = await fetch(`${server.url}/sprints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: big,
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { code: string }).code).toBe('PAYLOAD_TOO_LARGE');
    expect((await call(server, 'GET', '/sprints')).status).toBe(200);
  });

  it('limits the number of event streams (503)', async () => {
    const { root: r } = await root();
    const server = await serve({ root: r, maxSubscribers: 1 });
    const id = await createSprint(server, { name: 'limited', tasks: [customTask('a')] });
    const one = openSse(`${server.url}/sprints/${id}/events`, { token: server.token });
    cleanups.push(async () => one.close());
    await one.connected;
    const two = openSse(`${server.url}/sprints/${id}/events`, { token: server.token });
    expect(await two.status).toBe(503);
    one.close();
    await one.ended;
    await waitFor(
      () => (server.api.events.subscriberCount === 0 ? true : undefined),
      'the stream to close',
    );
    const three = openSse(`${server.url}/sprints/${id}/events`, { token: server.token });
    cleanups.push(async () => three.close());
    await three.connected;
  });

  it('answers raw traversal paths with 404 before touching the disk', async () => {
    const { root: r } = await root();
    const server = await serve({ root: r });
    const raw = (path: string) =>
      new Promise<number>((ok, fail) => {
        const req = request(
          `${server.url}/`,
          { path, headers: { authorization: `Bearer ${server.token}` } },
          (res) => {
            res.resume();
            ok(res.statusCode ?? 0);
          },
        );
        req.on('error', fail);
        req.end();
      });
    for (const path of [
      '/sprints/../../etc/passwd',
      '/sprints/%2e%2e/%2e%2e/etc/passwd',
      '/sprints/..%2f..%2fetc%2fpasswd',
      '/sprints/%2fetc%2fpasswd/result',
      '/sprints//etc/passwd',
      '/sprints/..%5c..%5cwindows/events',
    ]) {
      expect(await raw(path), path).toBe(404);
    }
  });

  it('streams every run event with its seq as the SSE id, agent tool calls included', async () => {
    const { root: r } = await root();
    const server = await serve({
      root: r,
      agents: { enabled: ['noop', 'chatty'], factories: { chatty: chattyAgent() } },
    });
    const id = await createSprint(server, {
      name: 'stream',
      tasks: [customTask('a'), customTask('b')],
    });
    const sse = openSse(`${server.url}/sprints/${id}/events`, { token: server.token });
    cleanups.push(async () => sse.close());
    expect(await sse.status).toBe(200);
    await sse.connected;
    expect((await call(server, 'POST', `/sprints/${id}/run`, { agent: 'chatty' })).status).toBe(
      202,
    );
    await sse.until(ofType('run-ended'));
    const events = sse.events();
    expect(sse.messages.map((m) => Number(m.id))).toEqual(events.map((e) => e.seq));
    expect(contiguous(events.map((e) => e.seq))).toBe(true);
    const types = events.map((e) => e.type);
    for (const type of [
      'run-started',
      'sprint-status',
      'task-started',
      'agent-activity',
      'task-finished',
      'run-ended',
    ]) {
      expect(types).toContain(type);
    }
    const tools = events.filter(
      (e) => e.type === 'agent-activity' && (e.activity as { kind: string }).kind === 'tool-use',
    );
    expect(tools).toHaveLength(2);
    expect(tools[0]).toMatchObject({ taskId: 'a', activity: { tool: 'Bash' } });
  });

  it('replays what a reconnecting client missed from Last-Event-ID, losing nothing', async () => {
    const { root: r } = await root();
    const gate = gateAgent();
    const server = await serve({
      root: r,
      agents: {
        enabled: ['noop', 'chatty', 'gate'],
        factories: { chatty: chattyAgent(), gate: gate.factory },
      },
    });
    const id = await createSprint(server, {
      name: 'reconnect',
      config: { autoCommit: false, agents: { custom: 'chatty', gated: 'gate' } },
      tasks: [
        customTask('a'),
        { id: 'b', type: 'gated', dependsOn: ['a'] },
        customTask('c', { dependsOn: ['b'] }),
      ],
    });
    const first = openSse(`${server.url}/sprints/${id}/events`, { token: server.token });
    await first.connected;
    expect((await call(server, 'POST', `/sprints/${id}/run`, {})).status).toBe(202);
    await gate.started;
    await first.until(
      (m) => m.data.includes('"type":"task-started"') && m.data.includes('"taskId":"b"'),
    );
    first.close();
    await first.ended;
    const seen = first.messages.map((m) => Number(m.id));
    const lastId = seen.at(-1)!;
    // The run goes on while the client is away.
    gate.release();
    await waitFor(async () => {
      const res = await call(server, 'GET', `/sprints/${id}`);
      return res.body.sprint.status === 'completed' && !res.body.run ? true : undefined;
    }, 'completion');

    const second = openSse(`${server.url}/sprints/${id}/events`, {
      token: server.token,
      lastEventId: String(lastId),
    });
    cleanups.push(async () => second.close());
    await second.until(ofType('run-ended'));
    const replayed = second.messages.map((m) => Number(m.id));
    expect(replayed[0]).toBe(lastId + 1);
    const all = [...seen, ...replayed];
    expect(contiguous(all)).toBe(true);
    expect(second.events().some((e) => e.type === 'task-finished' && e.taskId === 'c')).toBe(true);

    // The same as a full replay from the log.
    const full = openSse(`${server.url}/sprints/${id}/events?after=0`, { token: server.token });
    cleanups.push(async () => full.close());
    await full.until(ofType('run-ended'));
    expect(full.messages.map((m) => Number(m.id))).toEqual(all);
    // A bad Last-Event-ID is refused.
    const bad = openSse(`${server.url}/sprints/${id}/events`, {
      token: server.token,
      lastEventId: 'abc',
    });
    expect(await bad.status).toBe(422);
  });

  it('starts at ?after=N, or live only with ?after=now', async () => {
    const { root: r } = await root();
    const server = await serve({ root: r, agents: { enabled: ['noop'] } });
    const id = await createSprint(server, { name: 'after', tasks: [customTask('a')] });
    expect(
      (await call(server, 'POST', `/sprints/${id}/tasks`, { tasks: [customTask('b')] })).status,
    ).toBe(200);
    expect(
      (await call(server, 'POST', `/sprints/${id}/tasks`, { tasks: [customTask('c')] })).status,
    ).toBe(200);
    const fromOne = openSse(`${server.url}/sprints/${id}/events?after=1`, { token: server.token });
    const live = openSse(`${server.url}/sprints/${id}/events?after=now`, { token: server.token });
    cleanups.push(async () => {
      fromOne.close();
      live.close();
    });
    await Promise.all([fromOne.connected, live.connected]);
    expect(fromOne.messages.map((m) => m.id)).toEqual(['2']);
    expect(live.messages).toEqual([]);
    expect(
      (await call(server, 'POST', `/sprints/${id}/tasks`, { tasks: [customTask('d')] })).status,
    ).toBe(200);
    await live.until((m) => m.id === '3');
    expect(live.messages.map((m) => m.id)).toEqual(['3']);
    const bad = openSse(`${server.url}/sprints/${id}/events?after=-1`, { token: server.token });
    expect(await bad.status).toBe(422);
    const head = await fetch(`${server.url}/sprints/${id}/events`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${server.token}` },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toContain('text/event-stream');
    expect(server.api.events.subscriberCount).toBe(2);
  });

  it('feeds every subscriber of a sprint from one store subscription', async () => {
    const { root: r } = await root();
    const store = new SprintRootStore({ root: r });
    const subscribe = store.subscribe.bind(store);
    let subscriptions = 0;
    store.subscribe = (sprintId, listener) => {
      subscriptions++;
      return subscribe(sprintId, listener);
    };
    const server = await serve({ root: r, store, agents: { enabled: ['noop'] } });
    const id = await createSprint(server, {
      name: 'fanout',
      tasks: [customTask('a'), customTask('b')],
    });
    const clients = Array.from({ length: 50 }, () =>
      openSse(`${server.url}/sprints/${id}/events?after=now`, { token: server.token }),
    );
    cleanups.push(async () => {
      for (const c of clients) c.close();
    });
    await Promise.all(clients.map((c) => c.connected));
    expect((await call(server, 'POST', `/sprints/${id}/run`, { agent: 'noop' })).status).toBe(202);
    await Promise.all(clients.map((c) => c.until(ofType('run-ended'))));
    const expected = clients[0]!.messages.map((m) => m.id);
    expect(expected.length).toBeGreaterThan(5);
    for (const c of clients) expect(c.messages.map((m) => m.id)).toEqual(expected);
    expect(subscriptions).toBe(1);
  });

  it('shuts down gracefully: stops the running agent and leaves the sprint resumable', async () => {
    const { root: r } = await root();
    const gate = gateAgent();
    const server = await serve({
      root: r,
      agents: { enabled: ['noop', 'gate'], factories: { gate: gate.factory } },
    });
    const id = await createSprint(server, {
      name: 'shutdown',
      tasks: [customTask('a'), customTask('b')],
    });
    const sse = openSse(`${server.url}/sprints/${id}/events`, { token: server.token });
    await sse.connected;
    expect((await call(server, 'POST', `/sprints/${id}/run`, { agent: 'gate' })).status).toBe(202);
    await gate.started;
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(10_000);
    await sse.ended; // the stream was ended, not left hanging
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();

    const store = new SprintRootStore({ root: r });
    const { state } = await store.load(id);
    expect(state.status).toBe('paused');
    expect(state.tasks.a?.status).toBe('pending');
    const lock = await store.inspectLock(id);
    expect(lock?.alive ?? false).toBe(false);

    const next = await serve({ root: r, agents: { enabled: ['noop'] } });
    expect((await call(next, 'POST', `/sprints/${id}/resume`, { agent: 'noop' })).status).toBe(202);
    await waitFor(async () => {
      const res = await call(next, 'GET', `/sprints/${id}`);
      return res.body.sprint.status === 'completed' ? true : undefined;
    }, 'completion after resume');
  });

  it('sees a run in another process: 409 to a second run, its events streamed, stopped through the store', async () => {
    const { root: r } = await root();
    const server = await serve({ root: r, agents: { enabled: ['noop'] } });
    const id = await createSprint(server, {
      name: 'elsewhere',
      tasks: [customTask('a'), customTask('b')],
    });
    const sse = openSse(`${server.url}/sprints/${id}/events`, { token: server.token });
    cleanups.push(async () => sse.close());
    await sse.connected;

    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, 'test-support', 'other-runner.mjs'), r, id],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
    });
    const exited = new Promise<number | null>((ok) => child.on('exit', ok));
    await waitFor(() => (out.includes('started') ? true : undefined), 'the other runner to start');

    const run = await call(server, 'POST', `/sprints/${id}/run`, { agent: 'noop' });
    expect(run.status).toBe(409);
    expect(run.body.code).toBe('SPRINT_LOCKED');
    expect(run.body.detail).toContain(`pid ${child.pid}`);
    // Locked comes first, whatever the body: an agent this server does not offer too.
    const other = await call(server, 'POST', `/sprints/${id}/resume`, { agent: 'shell' });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('SPRINT_LOCKED');
    const detail = await call(server, 'GET', `/sprints/${id}`);
    expect(detail.body.sprint).toMatchObject({ running: true, runner: { pid: child.pid } });
    expect(detail.body.run).toBeNull();
    // Its events reach this server's subscribers.
    await sse.until((m) => m.data.includes('"type":"task-started"'));

    const stop = await call(server, 'POST', `/sprints/${id}/stop`);
    expect(stop.status).toBe(202);
    expect(stop.body.outcome).toBe('requested');
    expect(await exited).toBe(0);
    const result = JSON.parse(out.trim().split('\n').at(-1)!) as { stopReason: { kind: string } };
    expect(result.stopReason.kind).toBe('stopped');
    await sse.until(ofType('run-ended'));

    // Resumable here once the other process let go.
    expect((await call(server, 'POST', `/sprints/${id}/resume`, { agent: 'noop' })).status).toBe(
      202,
    );
    await waitFor(async () => {
      const res = await call(server, 'GET', `/sprints/${id}`);
      return res.body.sprint.status === 'completed' ? true : undefined;
    }, 'completion here');
  });

  it('shares the per-sprint lock with another runner process (409)', async () => {
    const { root: r } = await root();
    const server = await serve({ root: r, agents: { enabled: ['noop'] } });
    const id = await createSprint(server, { name: 'locked', tasks: [customTask('a')] });
    // Another process (here: another store instance, as the CLI would have) holds the lock.
    const other = new SprintRootStore({ root: r });
    const lock = await other.acquireLock(id, {
      pid: process.pid,
      host: 'elsewhere',
      runId: 'cli-run',
      startedAt: new Date().toISOString(),
    });
    try {
      const res = await call(server, 'POST', `/sprints/${id}/run`, { agent: 'noop' });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('SPRINT_LOCKED');
    } finally {
      await lock.release();
    }
    expect((await call(server, 'POST', `/sprints/${id}/run`, { agent: 'noop' })).status).toBe(202);
  });
});

describe('plugin sprints', () => {
  it('GET /sprints and GET /sprints/{id} show a directory with PROGRESS.yaml alone, named by its sprint-id', async () => {
    const { root: r } = await root();
    const dir = join(r, '2026-01-20_only-progress');
    await mkdir(dir);
    await writeFile(
      join(dir, 'PROGRESS.yaml'),
      [
        'sprint-id: 2026-01-20_plugin-only',
        'status: in-progress',
        'current-task: null',
        'queue:',
        '  - id: custom-notes',
        '    type: custom',
        '    description: "Write the notes"',
        '    done-when: "NOTES.md exists"',
        '    priority: medium',
        'completed: []',
        'blocked: []',
        '',
      ].join('\n'),
    );
    const server = await serve({ root: r });
    const list = await call(server, 'GET', '/sprints');
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).toContain('2026-01-20_only-progress');
    const one = await call(server, 'GET', '/sprints/2026-01-20_only-progress');
    expect(one.status, JSON.stringify(one.body)).toBe(200);
    expect(JSON.stringify(one.body)).toContain('2026-01-20_plugin-only');
    expect(JSON.stringify(one.body)).toContain('custom-notes');
  });
});

describe('tampering found by the server', () => {
  /** A finished sprint whose log someone else appended to, notifying `tamper` to a receiver on 127.0.0.1. */
  async function tamperedSprint() {
    const received: { event: string; reason?: string }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        received.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
    cleanups.push(() => new Promise((ok) => receiver.close(() => ok())));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

    const { root: r } = await root();
    const store = new SprintRootStore({ root: r });
    const id = await store.create({
      name: 'watched',
      config: { 'auto-commit': false, notify: [{ webhook: url, events: ['tamper'] }] },
      // The model's description as well as the field's: create writes what the model says.
      tasks: [{ ...customTask('a'), description: 'do a', priority: 'medium', dependsOn: [] }],
    });
    const runner = new SprintRunner({
      store,
      agents: new AgentRegistry({ default: new NoopAgent() }),
    });
    await runner.run(id);
    expect(received).toEqual([]);
    await appendFile(
      join(r, id, 'events.jsonl'),
      `${JSON.stringify({ type: 'task-finished', taskId: 'a', attempt: 9, to: 'done', seq: 900, at: new Date().toISOString(), sprintId: id })}\n`,
    );
    return { received, root: r, id };
  }

  it.each([
    ['opening a sprint', (id: string) => `/sprints/${id}`],
    ['listing the sprints', () => '/sprints'],
  ])(
    '%s whose log someone else appended to sends its tamper notification once, not on every read',
    async (_, pathOf) => {
      const { received, root: r, id } = await tamperedSprint();
      const server = await serve({ root: r, readCacheMs: 0 });
      for (let i = 0; i < 3; i++) {
        const res = await call(server, 'GET', pathOf(id));
        expect(res.status, JSON.stringify(res.body)).toBe(200);
      }
      await waitFor(
        () => (received.length >= 1 ? true : undefined),
        'the tamper notification',
        30_000,
      );
      // Time for a second (wrong) delivery to arrive, measured by a later read that answers.
      await call(server, 'GET', pathOf(id));
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({ event: 'tamper' });
      expect(received[0]?.reason).toContain('events.jsonl');
    },
  );
});

describe('event stream ids and shutdown', () => {
  it('clamps a Last-Event-ID or ?after= past the last event, so the client still gets the next ones', async () => {
    const { root: r } = await root();
    const server = await serve({ root: r, agents: { enabled: ['noop'] } });
    const id = await createSprint(server, { name: 'ahead', tasks: [customTask('a')] });
    expect(
      (await call(server, 'POST', `/sprints/${id}/tasks`, { tasks: [customTask('b')] })).status,
    ).toBe(200);
    const ahead = openSse(`${server.url}/sprints/${id}/events`, {
      token: server.token,
      lastEventId: '999',
    });
    const query = openSse(`${server.url}/sprints/${id}/events?after=5000`, {
      token: server.token,
    });
    cleanups.push(async () => {
      ahead.close();
      query.close();
    });
    await Promise.all([ahead.connected, query.connected]);
    expect(ahead.messages).toEqual([]);
    expect(query.messages).toEqual([]);
    expect(
      (await call(server, 'POST', `/sprints/${id}/tasks`, { tasks: [customTask('c')] })).status,
    ).toBe(200);
    await ahead.until((m) => m.id === '2', 5000);
    await query.until((m) => m.id === '2', 5000);
    expect(ahead.messages.map((m) => m.id)).toEqual(['2']);
    expect(query.messages.map((m) => m.id)).toEqual(['2']);
  });

  it("sends the runs' last events to live streams before ending them at shutdown", async () => {
    const { root: r } = await root();
    const gate = gateAgent();
    const server = await serve({
      root: r,
      agents: { enabled: ['noop', 'gate'], factories: { gate: gate.factory } },
    });
    const id = await createSprint(server, { name: 'last words', tasks: [customTask('a')] });
    const sse = openSse(`${server.url}/sprints/${id}/events`, { token: server.token });
    await sse.connected;
    expect((await call(server, 'POST', `/sprints/${id}/run`, { agent: 'gate' })).status).toBe(202);
    await gate.started;
    await sse.until((m) => m.data.includes('"type":"task-started"'));
    await server.close();
    await sse.ended;
    const events = sse.events();
    const types = events.map((e) => e.type);
    expect(types).toContain('control');
    expect(events).toContainEqual(expect.objectContaining({ type: 'task-finished', taskId: 'a' }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'sprint-status', to: 'paused' }));
    expect(events.at(-1)).toMatchObject({ type: 'run-ended', status: 'paused' });
    expect(contiguous(events.map((e) => e.seq))).toBe(true);
  });
});

describe('agent environment', () => {
  it('never gives SPRINT_API_TOKEN to the agents and commands the server runs', async () => {
    const { dir, root: r } = await root();
    const saved = process.env.SPRINT_API_TOKEN;
    process.env.SPRINT_API_TOKEN = TOKEN;
    cleanups.push(async () => {
      if (saved === undefined) delete process.env.SPRINT_API_TOKEN;
      else process.env.SPRINT_API_TOKEN = saved;
    });
    // A stand-in for the claude CLI that only writes down its environment.
    const fakeClaude = join(dir, 'fake-claude.sh');
    await writeFile(fakeClaude, `#!/bin/sh\nenv > "${join(dir, 'claude-env.txt')}"\nexit 1\n`);
    await chmod(fakeClaude, 0o755);
    const server = await serve({
      root: r,
      env: process.env,
      allowTaskCommands: true,
      agents: {
        enabled: ['shell', 'claude'],
        defaultAgent: 'shell',
        // Even a configuration that copies the token into the agent's environment.
        claude: { binary: fakeClaude, env: { SPRINT_API_TOKEN: TOKEN }, killGraceMs: 500 },
      },
    });
    expect(server.tokenGenerated).toBe(false);
    const id = await createSprint(server, {
      name: 'env',
      tasks: [
        customTask('a', {
          command: `env > "${join(dir, 'shell-env.txt')}"`,
          verify: `env > "${join(dir, 'verify-env.txt')}"`,
        }),
      ],
    });
    expect((await call(server, 'POST', `/sprints/${id}/run`, { agent: 'shell' })).status).toBe(202);
    await waitFor(async () => {
      const res = await call(server, 'GET', `/sprints/${id}`);
      return res.body.sprint.status === 'completed' && !res.body.run ? true : undefined;
    }, 'the shell run');
    const claudeSprint = await createSprint(server, {
      name: 'env2',
      config: { autoCommit: false, retry: { maxAttempts: 1 } },
      tasks: [customTask('b')],
    });
    expect(
      (await call(server, 'POST', `/sprints/${claudeSprint}/run`, { agent: 'claude' })).status,
    ).toBe(202);
    await waitFor(async () => {
      const res = await call(server, 'GET', `/sprints/${claudeSprint}`);
      return res.body.run ? undefined : true;
    }, 'the claude run');
    for (const file of ['shell-env.txt', 'verify-env.txt', 'claude-env.txt']) {
      const text = await readFile(join(dir, file), 'utf8');
      expect(text, file).toContain('PATH=');
      expect(text, file).not.toContain('SPRINT_API_TOKEN');
      expect(text, file).not.toContain(TOKEN);
    }
  });
});

describe('agent programs', () => {
  it('refuses a run whose agent program is not installed (503 AGENT_NOT_INSTALLED), as sprint run does (69), and writes nothing', async () => {
    const { root: r } = await root();
    const server = await serve({
      root: r,
      agents: { claude: { binary: join(r, 'no-such-claude') } },
    });
    const id = await createSprint(server, { name: 'noclaude', tasks: [customTask('a')] });
    const before = await call(server, 'GET', `/sprints/${id}`);
    const res = await call(server, 'POST', `/sprints/${id}/run`, {});
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('AGENT_NOT_INSTALLED');
    expect(res.body.detail).toMatch(/claude/);
    const after = await call(server, 'GET', `/sprints/${id}`);
    expect(after.body.sprint.status).toBe('not-started');
    expect(after.body.sprint.iterations).toBe(before.body.sprint.iterations);
    expect(after.body.sprint.tasks[0].attempts).toBe(0);
    expect(after.body.run).toBeNull();
    // The noop agent needs no program: the same sprint runs with it.
    expect((await call(server, 'POST', `/sprints/${id}/run`, { agent: 'noop' })).status).toBe(202);
  });
});
