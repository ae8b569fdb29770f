import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claudeTestEnv, findClaudeBin, startFakeAnthropic } from '@sprint/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer } from './server.js';
import { customTask, TOKEN, tempRoot, waitFor } from './test-support/harness.js';
import { ofType, openSse } from './test-support/sse-client.js';

const CLAUDE = findClaudeBin(import.meta.dirname);
const API_KEY = 'sk-ant-test-key-never-to-be-shown';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe('a sprint run through the API with the real claude CLI', () => {
  it('runs claude against the fake Messages API and streams its tool calls', async () => {
    const fake = await startFakeAnthropic([
      {
        type: 'tool-use',
        name: 'Bash',
        input: { command: 'echo hello > out.txt', description: 'Write the file' },
        text: 'Writing the file.',
        usage: { input_tokens: 120, output_tokens: 30 },
      },
      {
        type: 'structured-output',
        output: {
          status: 'completed',
          summary: 'Wrote hello to out.txt.',
          deferred_items: [],
          files_changed: ['out.txt'],
        },
        usage: { input_tokens: 200, output_tokens: 40 },
      },
    ]);
    const home = await mkdtemp(join(tmpdir(), 'sprint-server-home-'));
    const { dir, root, cleanup } = await tempRoot();
    cleanups.push(async () => {
      await fake.close();
      await rm(home, { recursive: true, force: true });
      await cleanup();
    });
    const server = await startServer({
      port: 0,
      root,
      token: TOKEN,
      env: {},
      handleSignals: false,
      agents: {
        enabled: ['claude'],
        claude: {
          binary: CLAUDE,
          inheritEnv: false,
          env: claudeTestEnv({ baseUrl: fake.url, home, extra: { ANTHROPIC_API_KEY: API_KEY } }),
          killGraceMs: 1000,
        },
      },
    });
    cleanups.push(() => server.close());
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

    const created = await fetch(`${server.url}/sprints`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: 'claude run',
        config: { autoCommit: false },
        tasks: [customTask('write-hello', { description: 'Write hello to out.txt' })],
      }),
    });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { sprint: { id: string } }).sprint.id;

    const sse = openSse(`${server.url}/sprints/${id}/events`, { token: TOKEN });
    cleanups.push(async () => sse.close());
    await sse.connected;
    const run = await fetch(`${server.url}/sprints/${id}/run`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ agent: 'claude', taskTimeout: '2m' }),
    });
    expect(run.status).toBe(202);
    await sse.until(ofType('run-ended'), 60_000);

    const events = sse.events();
    const activity = events
      .filter((e) => e.type === 'agent-activity')
      .map((e) => e.activity as { kind: string; tool?: string; input?: string });
    expect(activity).toContainEqual(
      expect.objectContaining({ kind: 'tool-use', tool: 'Bash', input: 'echo hello > out.txt' }),
    );
    expect(activity.some((a) => a.kind === 'tool-result')).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'run-ended', status: 'completed' });
    expect(await readFile(join(dir, 'out.txt'), 'utf8')).toBe('hello\n');

    await waitFor(async () => {
      const res = await fetch(`${server.url}/sprints/${id}/result`, { headers });
      return res.status === 200 ? res : undefined;
    }, 'the result');
    const result = await fetch(`${server.url}/sprints/${id}/result`, { headers });
    const body = (await result.json()) as {
      success: boolean;
      agentResults: { agent: string; summary: string; costUsd: number }[];
    };
    expect(body.success).toBe(true);
    expect(body.agentResults[0]).toMatchObject({
      agent: 'claude',
      summary: 'Wrote hello to out.txt.',
    });
    expect(body.agentResults[0]!.costUsd).toBeGreaterThan(0);

    // The CLI got the key; no client ever sees it.
    expect(JSON.stringify(fake.messageRequests()[0]!.headers)).toContain(API_KEY);
    const status = await (await fetch(`${server.url}/sprints/${id}`, { headers })).text();
    for (const text of [status, JSON.stringify(body), sse.messages.map((m) => m.data).join('\n')]) {
      expect(text).not.toContain(API_KEY);
      expect(text).not.toContain(TOKEN);
    }
  });
});
