import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AgentContext,
  type AgentResult,
  AgentResultSchema,
  type Notification,
  SprintRootStore,
  verifySignature,
} from '@sprint/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Api, createApi } from './app.js';
import { ServerConfigError, serverNotify, startServer } from './server.js';
import { customTask, TOKEN, tempRoot, waitFor } from './test-support/harness.js';
import { defaultDescribe, serverAgents } from './wiring.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Asks which database until it has an answer, then reports the answer it got. */
const answers: string[] = [];
const asker = () => ({
  name: 'asker',
  async run(ctx: AgentContext): Promise<AgentResult> {
    if (ctx.humanAnswer === undefined) {
      return AgentResultSchema.parse({
        success: false,
        summary: 'needs a decision',
        needsHuman: { reason: 'Which database?', options: ['postgres', 'sqlite'] },
      });
    }
    answers.push(ctx.humanAnswer);
    return AgentResultSchema.parse({ success: true, summary: `used ${ctx.humanAnswer}` });
  },
});

/** A webhook receiver on 127.0.0.1 that keeps every body. */
async function receiver() {
  const bodies: { body: string; signature?: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => {
      body += d;
    });
    req.on('end', () => {
      bodies.push({ body, signature: req.headers['x-sprint-signature'] as string | undefined });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  cleanups.push(() => new Promise((ok) => server.close(() => ok())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies };
}

async function api(notifyUrl?: string): Promise<{ api: Api; req: typeof fetchApi }> {
  const { root, cleanup } = await tempRoot();
  const agents = serverAgents({
    enabled: ['noop', 'asker'],
    factories: { asker },
    defaultAgent: 'noop',
  });
  const built = createApi({
    store: new SprintRootStore({ root }),
    root,
    token: TOKEN,
    agents: agents.setup,
    describe: defaultDescribe,
    readCacheMs: 0,
    notify: notifyUrl
      ? {
          targets: [{ kind: 'webhook', url: notifyUrl, secret: 'whsec-0123456789abcdef' }],
          publicUrl: 'https://sprint.example.com',
        }
      : undefined,
  });
  cleanups.push(async () => {
    await built.shutdown(2000);
    await cleanup();
  });
  const fetchApi = (method: string, path: string, body?: unknown, token = TOKEN) =>
    Promise.resolve(
      built.app.request(path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      }),
    );
  return { api: built, req: fetchApi };
}

async function sprintThatAsks(req: Awaited<ReturnType<typeof api>>['req']): Promise<string> {
  const res = await req('POST', '/sprints', {
    name: 'ask',
    tasks: [customTask('a')],
    config: { autoCommit: false, agent: 'asker' },
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { sprint: { id: string } }).sprint.id;
}

async function statusOf(t: Awaited<ReturnType<typeof api>>, id: string) {
  const detail = (await (await t.req('GET', `/sprints/${id}`)).json()) as {
    sprint: { status: string };
  };
  return !t.api.runs.active(id) ? detail.sprint.status : undefined;
}

describe('POST /sprints/{id}/answer', () => {
  it('answers the needs-human question from the notification and resumes the sprint', async () => {
    const hook = await receiver();
    const t = await api(hook.url);
    const id = await sprintThatAsks(t.req);
    expect((await t.req('POST', `/sprints/${id}/run`, {})).status).toBe(202);
    await waitFor(
      async () => ((await statusOf(t, id)) === 'needs-human' ? true : undefined),
      'the question',
    );

    // The notification names the question and where to answer it.
    await waitFor(() => (hook.bodies.length ? true : undefined), 'the notification');
    const note = JSON.parse(hook.bodies[0]!.body) as Notification;
    expect(
      verifySignature(hook.bodies[0]!.signature, hook.bodies[0]!.body, 'whsec-0123456789abcdef'),
    ).toBe(true);
    expect(note).toMatchObject({
      event: 'needs-human',
      taskId: 'a',
      question: { reason: 'Which database?', options: ['postgres', 'sqlite'] },
      answerUrl: `https://sprint.example.com/sprints/${id}/answer`,
    });

    // Without the token: 401, nothing changes.
    const path = new URL(note.answerUrl!).pathname;
    expect(
      (await t.req('POST', path, { answer: 'postgres' }, 'wrong-token-0123456789')).status,
    ).toBe(401);
    // Another task's question: 409.
    const other = await t.req('POST', path, { answer: 'postgres', taskId: 'b' });
    expect(other.status).toBe(409);
    expect(((await other.json()) as { code: string }).code).toBe('QUESTION_CHANGED');
    // A blank answer: 422 naming the field.
    const blank = await t.req('POST', path, { answer: '   ' });
    expect(blank.status).toBe(422);
    expect(JSON.stringify(await blank.json())).toContain('answer');
    // It takes `agent` as resume does: one the server offers.
    const stranger = await t.req('POST', path, { answer: 'postgres', agent: 'codex' });
    expect(stranger.status).toBe(422);
    expect(await stranger.json()).toMatchObject({
      code: 'UNKNOWN_AGENT',
      issues: [{ field: 'agent' }],
    });
    expect(await statusOf(t, id)).toBe('needs-human');

    const res = await t.req('POST', path, { answer: 'postgres', taskId: 'a', agent: 'asker' });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ kind: 'resume', sprintId: id });
    await waitFor(
      async () => ((await statusOf(t, id)) === 'completed' ? true : undefined),
      'completion',
    );
    expect(answers.at(-1)).toBe('postgres');
    await waitFor(
      () => (hook.bodies.some((b) => JSON.parse(b.body).event === 'completed') ? true : undefined),
      'the completed notification',
    );
  });

  it('refuses an answer when no question is open', async () => {
    const t = await api();
    const id = await sprintThatAsks(t.req);
    const res = await t.req('POST', `/sprints/${id}/answer`, { answer: 'postgres' });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { code: string }).code).toBe('NO_QUESTION');
    expect(await statusOf(t, id)).toBe('not-started');
  });
});

describe('server notification settings', () => {
  it('adds targets and the public URL from the environment, and refuses a URL that is not one', () => {
    expect(serverNotify(undefined, {})).toBeUndefined();
    expect(
      serverNotify(undefined, {
        SPRINT_NOTIFY_WEBHOOK: 'https://hooks.example.com/s',
        SPRINT_NOTIFY_SECRET: 'k',
        SPRINT_NOTIFY_SLACK: 'https://hooks.slack.com/services/T/B/X',
        SPRINT_PUBLIC_URL: 'https://sprint.example.com',
      }),
    ).toMatchObject({
      finalWaitMs: 0,
      publicUrl: 'https://sprint.example.com',
      targets: [
        { kind: 'webhook', url: 'https://hooks.example.com/s', secretEnv: 'SPRINT_NOTIFY_SECRET' },
        { kind: 'slack', url: 'https://hooks.slack.com/services/T/B/X' },
      ],
    });
    expect(() => serverNotify(undefined, { SPRINT_NOTIFY_WEBHOOK: 'hooks.example.com' })).toThrow(
      ServerConfigError,
    );
  });

  it('refuses to start with a bad notification URL', async () => {
    const { root, cleanup } = await tempRoot();
    cleanups.push(cleanup);
    await expect(
      startServer({
        port: 0,
        root,
        handleSignals: false,
        env: { SPRINT_PUBLIC_URL: 'example.com' },
      }),
    ).rejects.toThrow('SPRINT_PUBLIC_URL must be an http(s) URL');
  });
});
