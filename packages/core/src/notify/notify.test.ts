import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentRegistry } from '../agents/agent-registry.js';
import { SprintRunner } from '../runner/sprint-runner.js';
import { SprintDirectoryStore } from '../stores/sprint-directory-store.js';
import { type Script, ScriptedAgent } from '../testing/scripted-agent.js';
import type { Notification } from './notification.js';
import type { DeliveryReport, NotifyOptions } from './run-notifier.js';
import { verifySignature } from './signature.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A receiver on 127.0.0.1 that answers each request with `answer(n)` (a status, or 'hang'). */
async function receiver(answer: (n: number) => number | 'hang' = () => 200) {
  const received: Received[] = [];
  const held: ServerResponse[] = [];
  const waiters = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      body += d;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      for (const w of waiters) w();
      const a = answer(received.length);
      if (a === 'hang') held.push(res);
      else res.writeHead(a).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  const cleanup = async () => {
    for (const res of held) res.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  };
  servers.push(cleanup);
  return {
    url,
    received,
    held,
    /** Resolves once `count` requests arrived. */
    async waitFor(count: number, timeoutMs = 30_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline)
          throw new Error(
            `got ${received.length} of ${count} requests: ${JSON.stringify(received)}`,
          );
        await new Promise<void>((r) => {
          const w = () => {
            waiters.delete(w);
            clearTimeout(t);
            r();
          };
          const t = setTimeout(w, 200);
          waiters.add(w);
        });
      }
    },
  };
}

const servers: (() => Promise<void>)[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((c) => c()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A sprint directory whose SPRINT.yaml holds `notifyYaml` under config.notify. */
async function sprint(notifyYaml: string[], taskIds = ['a', 'b']) {
  const root = await mkdtemp(join(tmpdir(), 'sprint-notify-'));
  dirs.push(root);
  const id = '2026-01-15_notify';
  const dir = join(root, id);
  await mkdir(dir);
  await writeFile(
    join(dir, 'SPRINT.yaml'),
    [
      `sprint-id: ${id}`,
      'name: notify-demo',
      'config:',
      '  auto-commit: false',
      '  retry: { max-attempts: 2, delay: 0 }',
      ...(notifyYaml.length ? ['  notify:', ...notifyYaml.map((l) => `    ${l}`)] : []),
      '',
    ].join('\n'),
  );
  await writeFile(
    join(dir, 'PROGRESS.yaml'),
    [
      `sprint-id: ${id}`,
      'status: not-started',
      'queue:',
      ...taskIds.map((t) => `  - { id: ${t}, type: chore }`),
      'completed: []',
      'blocked: []',
      '',
    ].join('\n'),
  );
  return { root, id, dir, store: new SprintDirectoryStore({ root }) };
}

function runner(
  store: SprintDirectoryStore,
  scripts: Record<string, Script | Script[]> = {},
  notify: NotifyOptions = {},
) {
  const agent = new ScriptedAgent('scripted', scripts, {
    success: true,
    summary: 'ok',
    costUsd: 0.25,
  });
  return new SprintRunner({
    store,
    agents: new AgentRegistry({ default: agent }),
    controlPollMs: 20,
    notify: { policy: { baseDelayMs: 5 }, ...notify },
  });
}

const SECRET = 'whsec-test-0123456789';

describe('notifications', () => {
  it('POSTs a signed, versioned payload with counts, cost and the dashboard link when the sprint completes', async () => {
    const hook = await receiver();
    const { store, id } = await sprint([
      `- webhook: ${hook.url}`,
      '  secret-env: NOTIFY_TEST_SECRET',
      '  events: [completed]',
    ]);
    const result = await runner(
      store,
      {},
      {
        env: { NOTIFY_TEST_SECRET: SECRET },
        publicUrl: 'https://sprint.example.com/',
      },
    ).run(id);
    expect(result.status).toBe('completed');
    // The run's end waits for its last notifications (bounded), so it is here already.
    expect(hook.received).toHaveLength(1);
    const [got] = hook.received;
    const signature = got!.headers['x-sprint-signature'] as string;
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifySignature(signature, got!.body, SECRET)).toBe(true);
    expect(verifySignature(signature, got!.body.replace('completed', 'blocked'), SECRET)).toBe(
      false,
    );
    expect(verifySignature(signature, got!.body, 'another-secret')).toBe(false);
    expect(got!.headers['content-type']).toBe('application/json');
    expect(got!.headers['x-sprint-event']).toBe('completed');
    const payload = JSON.parse(got!.body) as Notification;
    expect(payload).toMatchObject({
      version: 1,
      event: 'completed',
      sprint: { id, name: 'notify-demo', status: 'completed' },
      counts: { total: 2, done: 2 },
      costUsd: 0.5,
      dashboardUrl: `https://sprint.example.com/sprints/${id}`,
    });
    expect(payload.answerUrl).toBeUndefined();
  });

  it('retries after 500s with backoff, the same delivery id and a fresh signature', async () => {
    const hook = await receiver((n) => (n <= 2 ? 500 : 204));
    const { store, id } = await sprint([`- webhook: ${hook.url}`, `  secret: ${SECRET}`]);
    const reports: DeliveryReport[] = [];
    const result = await runner(store, {}, { onDelivery: (r) => reports.push(r) }).run(id);
    expect(result.status).toBe('completed');
    expect(hook.received).toHaveLength(3);
    const ids = new Set(hook.received.map((r) => r.headers['x-sprint-delivery']));
    expect(ids.size).toBe(1);
    for (const r of hook.received) {
      expect(verifySignature(r.headers['x-sprint-signature'] as string, r.body, SECRET)).toBe(true);
    }
    expect(reports).toEqual([
      {
        target: `webhook ${new URL(hook.url).origin}`,
        event: 'completed',
        delivered: true,
        attempts: 3,
      },
    ]);
  });

  it('gives up on a 4xx at once, and never sends unsigned when secret-env is unset', async () => {
    const gone = await receiver(() => 410);
    const signed = await receiver();
    const { store, id, dir } = await sprint([
      `- webhook: ${gone.url}`,
      `- webhook: ${signed.url}`,
      '  secret-env: NOTIFY_TEST_UNSET',
    ]);
    const reports: DeliveryReport[] = [];
    const result = await runner(store, {}, { env: {}, onDelivery: (r) => reports.push(r) }).run(id);
    expect(result.status).toBe('completed');
    expect(gone.received).toHaveLength(1);
    expect(signed.received).toHaveLength(0);
    expect(reports).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ delivered: false, attempts: 1, error: 'HTTP 410 (not retried)' }),
        expect.objectContaining({
          delivered: false,
          error: expect.stringContaining('NOTIFY_TEST_UNSET is not set'),
        }),
      ]),
    );
    // On record beside the event log, even with nobody listening.
    const log = (await readFile(join(dir, 'notify.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as DeliveryReport & { at: string });
    expect(log).toHaveLength(2);
    expect(log.map((r) => r.delivered)).toEqual([false, false]);
    expect(log.every((r) => !Number.isNaN(Date.parse(r.at)))).toBe(true);
  });

  it('does not stall the run when a receiver hangs', async () => {
    const hook = await receiver(() => 'hang');
    const { store, id, dir } = await sprint(
      [`- webhook: ${hook.url}`, '  events: [task-failed, completed]'],
      ['a', 'b', 'c'],
    );
    // a fails once (a task-failed notification the receiver never answers), then every task runs.
    const run = runner(
      store,
      {
        a: [
          { success: false, summary: 'flaky', error: { kind: 'failed', message: 'flaky' } },
          { success: true, summary: 'ok' },
        ],
      },
      { policy: { attemptTimeoutMs: 120_000 }, finalWaitMs: 50 },
    ).run(id);
    const result = await run;
    expect(result.status).toBe('completed');
    expect(result.stepsCompleted).toBe(3);
    // The receiver holds the first request still: the run went on and ended without its answer.
    await hook.waitFor(1);
    expect(hook.held.length).toBe(1);
    expect(JSON.parse(hook.received[0]!.body)).toMatchObject({
      event: 'task-failed',
      taskId: 'a',
      attempt: 1,
      willRetry: true,
    });
    const progress = await readFile(join(dir, 'PROGRESS.yaml'), 'utf8');
    expect(progress).toContain('status: completed');
  });

  it('sends Slack a message with the question and its options when a task needs a human', async () => {
    const slack = await receiver();
    const { store, id } = await sprint([`- slack: ${slack.url}`, '  events: [needs-human]']);
    const result = await runner(
      store,
      {
        a: {
          success: false,
          summary: 'unsure',
          needsHuman: {
            reason: 'Which database?',
            details: 'Both work.',
            options: ['postgres', 'sqlite'],
          },
        },
      },
      { publicUrl: 'https://sprint.example.com' },
    ).run(id);
    expect(result.status).toBe('needs-human');
    expect(slack.received).toHaveLength(1);
    const message = JSON.parse(slack.received[0]!.body) as { text: string };
    expect(message.text).toContain('*Sprint notify-demo needs a human (task a): Which database?*');
    expect(message.text).toContain('1. postgres\n2. sqlite');
    expect(message.text).toContain(`<https://sprint.example.com/sprints/${id}|Open the sprint>`);
    expect(slack.received[0]!.headers['x-sprint-signature']).toBeUndefined();
  });

  it('runs a command with the event as JSON on stdin, also for targets the runner adds', async () => {
    const { store, id, root } = await sprint([]);
    const out = join(root, 'events.out');
    const result = await runner(
      store,
      { b: { success: false, summary: 'nope', error: { kind: 'blocked', message: 'no access' } } },
      {
        env: { SPRINT_PUBLIC_URL: 'https://from-env.example' },
        targets: [
          {
            kind: 'command',
            command: `printf '%s ' "$SPRINT_EVENT" >> "${out}"; cat >> "${out}"`,
            events: ['blocked'],
          },
        ],
      },
    ).run(id);
    expect(result.status).toBe('blocked');
    const text = await readFile(out, 'utf8');
    expect(text.startsWith('blocked {')).toBe(true);
    const payload = JSON.parse(text.slice('blocked '.length)) as Notification;
    expect(payload).toMatchObject({
      version: 1,
      event: 'blocked',
      sprint: { id, status: 'blocked' },
      counts: { total: 2, done: 1, blocked: 1 },
    });
    expect(payload.reason).toContain('no access');
    // The public URL from the environment (as a CLI run gets it).
    expect(payload.dashboardUrl).toBe(`https://from-env.example/sprints/${id}`);
  });

  it('ends a notification command that does not exit, with its whole process tree', async () => {
    const { store, id, root } = await sprint([]);
    const pidFile = join(root, 'child.pid');
    const reports: DeliveryReport[] = [];
    const result = await runner(
      store,
      {},
      {
        policy: { attemptTimeoutMs: 300 },
        targets: [
          {
            kind: 'command',
            command: `sleep 600 & echo $! > "${pidFile}"; wait`,
            events: ['completed'],
          },
        ],
        onDelivery: (r) => reports.push(r),
      },
    ).run(id);
    expect(result.status).toBe('completed');
    expect(reports).toEqual([
      expect.objectContaining({
        target: 'command',
        delivered: false,
        error: 'no exit within 300 ms',
      }),
    ]);
    const pid = Number(await readFile(pidFile, 'utf8'));
    const deadline = Date.now() + 15_000;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(isAlive(pid)).toBe(false);
  });
});

function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}
