import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import {
  type AgentContext,
  type AgentFactory,
  type AgentResult,
  AgentResultSchema,
  InvalidSprintError,
  SprintRootStore,
} from '@sprint/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  chattyAgent,
  customTask,
  gateAgent,
  type TestApi,
  TOKEN,
  testApi,
  waitFor,
} from './test-support/harness.js';

let t: TestApi | undefined;
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
});

/** Words a person using HTTP cannot act on: CLI flags and commands, the library's registry. */
const LIBRARY_WORDING =
  /(?:^|[\s(`])--[a-z]|\bsprint (?:run|resume)\b|\bRegister\b|the agent option/;

async function createSprint(api: TestApi, body: Record<string, unknown> = {}) {
  const res = await api.req('POST', '/sprints', {
    name: 'demo sprint',
    goals: ['Prove the API'],
    tasks: [customTask('a'), customTask('b', { dependsOn: ['a'] })],
    config: { autoCommit: false },
    ...body,
  });
  expect(res.status).toBe(201);
  const json = (await res.json()) as { sprint: { id: string } };
  return json.sprint.id;
}

/** Waits until the sprint has `status` and no run of it is live here (its result is saved by then). */
async function settled(api: TestApi, id: string, status: string): Promise<void> {
  await waitFor(
    async () =>
      (await statusOf(api, id)) === status && !api.api.runs.active(id) ? true : undefined,
    `${id} to be ${status}`,
  );
}

async function statusOf(api: TestApi, id: string): Promise<string> {
  const res = await api.req('GET', `/sprints/${id}`);
  return ((await res.json()) as { sprint: { status: string } }).sprint.status;
}

async function expectProblem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  const body = (await res.json()) as {
    code: string;
    status: number;
    detail: string;
    issues?: { field: string }[];
  };
  expect(body.code).toBe(code);
  expect(body.status).toBe(status);
  return body;
}

describe('health and auth', () => {
  it('answers /health without a token', async () => {
    t = await testApi();
    const res = await t.api.app.request('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('answers /health?deep=1 only with the token, with each offered agent CLI as sprint doctor sees it', async () => {
    t = await testApi();
    await expectProblem(await t.api.app.request('/health?deep=1'), 401, 'UNAUTHORIZED');
    const res = await t.req('GET', '/health?deep=1');
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      status: string;
      agents: { name: string; status: string }[];
    };
    expect(body.status).toBe('ok');
    const names = body.agents.map((a) => a.name);
    // Only CLI agents the server offers; noop and shell need no binary.
    for (const name of names) expect(['claude', 'codex', 'gemini', 'opencode']).toContain(name);
    for (const a of body.agents) expect(['ready', 'missing', 'no-credentials']).toContain(a.status);
  });

  it('refuses every other route without a token, with a wrong one, or a malformed header', async () => {
    t = await testApi();
    for (const path of ['/sprints', '/openapi.json', '/sprints/x', '/sprints/x/events', '/nope']) {
      const none = await t.api.app.request(path);
      const body = await expectProblem(none, 401, 'UNAUTHORIZED');
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(JSON.stringify(body)).not.toContain(TOKEN);
    }
    const wrong = await t.req('GET', '/sprints', undefined, {
      authorization: 'Bearer wrong-token',
    });
    await expectProblem(wrong, 401, 'UNAUTHORIZED');
    const almost = await t.req('GET', '/sprints', undefined, {
      authorization: `Bearer ${TOKEN.slice(0, -1)}X`,
    });
    await expectProblem(almost, 401, 'UNAUTHORIZED');
    const basic = await t.req('GET', '/sprints', undefined, { authorization: `Basic ${TOKEN}` });
    await expectProblem(basic, 401, 'UNAUTHORIZED');
    const post = await t.api.app.request('/sprints', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x' }),
    });
    await expectProblem(post, 401, 'UNAUTHORIZED');
    expect(await readdir(t.root)).toEqual([]);
  });

  it('accepts the right token', async () => {
    t = await testApi();
    const res = await t.req('GET', '/sprints');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sprints: [] });
  });

  it('answers unknown routes with a problem 404', async () => {
    t = await testApi();
    await expectProblem(await t.req('GET', '/nope'), 404, 'NOT_FOUND');
    await expectProblem(await t.req('DELETE', '/sprints'), 405, 'METHOD_NOT_ALLOWED');
  });
});

describe('sprints', () => {
  it('creates a sprint from JSON, lists it and shows its status', async () => {
    t = await testApi();
    const res = await t.req('POST', '/sprints', {
      name: 'Login fixes',
      goals: ['Close the login issues'],
      notes: 'from the API',
      tasks: [
        customTask('first'),
        { type: 'implement-issue', fields: { 'issue-number': 42 }, priority: 'high' },
      ],
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as {
      sprint: {
        id: string;
        status: string;
        tasks: { id: string; priority: string }[];
        goals: string[];
      };
      run: null;
      links: { self: string };
    };
    expect(body.sprint.status).toBe('not-started');
    expect(body.sprint.goals).toEqual(['Close the login issues']);
    expect(body.sprint.tasks.map((x) => x.id)).toEqual(['first', 'implement-issue-42']);
    expect(body.sprint.tasks[1]?.priority).toBe('high');
    expect(res.headers.get('location')).toBe(body.links.self);
    expect(existsSync(join(t.root, body.sprint.id, 'SPRINT.yaml'))).toBe(true);

    const list = (await (await t.req('GET', '/sprints')).json()) as {
      sprints: { id: string; status: string; progress: number; counts: { total: number } }[];
    };
    expect(list.sprints).toHaveLength(1);
    expect(list.sprints[0]).toMatchObject({
      id: body.sprint.id,
      status: 'not-started',
      progress: 0,
    });
    expect(list.sprints[0]?.counts.total).toBe(2);

    const one = await t.req('GET', body.links.self);
    expect(one.status).toBe(200);
    expect(((await one.json()) as { sprint: { id: string } }).sprint.id).toBe(body.sprint.id);
  });

  it('serves Markdown sprint documents from the same root', async () => {
    t = await testApi();
    await writeFile(
      join(t.root, 'sprint-08_core.md'),
      [
        '---',
        'sprint: 8',
        'title: Core sprint runner',
        'status: todo',
        '---',
        '',
        '## Tasks',
        '',
        '### Phase 1: Planning',
        '',
        '- [ ] Write the plan',
        '- [x] Read the docs',
        '',
      ].join('\n'),
    );
    const list = (await (await t.req('GET', '/sprints')).json()) as {
      sprints: { id: string; format: string }[];
    };
    expect(list.sprints).toContainEqual(
      expect.objectContaining({ id: 'sprint-08_core', format: 'document' }),
    );
    const res = await t.req('GET', '/sprints/sprint-08_core');
    expect(res.status).toBe(200);
    const run = await t.req('POST', '/sprints/sprint-08_core/run', { agent: 'noop' });
    expect(run.status).toBe(202);
    await settled(t, 'sprint-08_core', 'completed');
    // The document itself is checkpointed when the run ends.
    await waitFor(
      async () => (t!.api.runs.active('sprint-08_core') ? undefined : true),
      'the run to end',
    );
    expect(await readFile(join(t.root, 'sprint-08_core.md'), 'utf8')).toContain(
      '- [x] Write the plan',
    );
    // A document takes new steps by editing it, not through the API.
    const add = await t.req('POST', '/sprints/sprint-08_core/tasks', { tasks: [customTask('z')] });
    await expectProblem(add, 422, 'INVALID_OPTIONS');
  });

  it('writes the configuration a request may set into SPRINT.yaml', async () => {
    t = await testApi();
    const id = await createSprint(t, {
      name: 'configured',
      config: {
        autoCommit: false,
        maxIterations: 7,
        maxCostUsd: 2.5,
        taskTimeout: '90s',
        concurrency: 2,
        retry: { maxAttempts: 4, delay: '2s', backoff: 3 },
        agent: 'noop',
        agents: { custom: 'noop' },
      },
    });
    const { definition } = await new SprintRootStore({ root: t.root }).load(id);
    expect(definition.config).toMatchObject({
      autoCommit: false,
      maxIterations: 7,
      maxCostUsd: 2.5,
      taskTimeoutMs: 90_000,
      concurrency: 2,
      retry: { maxAttempts: 4, delayMs: 2000, backoff: 3 },
      agent: 'noop',
      agents: { custom: 'noop' },
    });
  });

  it('answers 404 for a well-formed id that names no sprint, on every route', async () => {
    t = await testApi();
    for (const [method, suffix] of [
      ['GET', ''],
      ['GET', '/events'],
      ['GET', '/result'],
      ['POST', '/run'],
      ['POST', '/pause'],
    ] as const) {
      const res = await t.req(
        method,
        `/sprints/2026-01-01_missing${suffix}`,
        method === 'POST' ? {} : undefined,
      );
      const body = await expectProblem(res, 404, 'SPRINT_NOT_FOUND');
      expect(body.detail).toBe('Sprint not found: 2026-01-01_missing');
    }
  });

  it('refuses a second sprint with the same name (409)', async () => {
    t = await testApi();
    await createSprint(t);
    const again = await t.req('POST', '/sprints', { name: 'demo sprint' });
    await expectProblem(again, 409, 'SPRINT_EXISTS');
  });

  it('adds tasks, reporting ids already present instead of duplicating them', async () => {
    t = await testApi();
    const id = await createSprint(t);
    const res = await t.req('POST', `/sprints/${id}/tasks`, {
      tasks: [customTask('a'), customTask('c', { dependsOn: ['a'] }), customTask('d')],
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ added: ['c', 'd'], skipped: ['a'] });
    const again = await t.req('POST', `/sprints/${id}/tasks`, { tasks: [customTask('c')] });
    expect(await again.json()).toEqual({ added: [], skipped: ['c'] });
    const detail = (await (await t.req('GET', `/sprints/${id}`)).json()) as {
      sprint: { tasks: { id: string }[] };
    };
    expect(detail.sprint.tasks.map((x) => x.id)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('refuses added tasks that depend on unknown tasks or make a cycle, naming the field', async () => {
    t = await testApi();
    const id = await createSprint(t);
    const dangling = await t.req('POST', `/sprints/${id}/tasks`, {
      tasks: [customTask('c', { dependsOn: ['a'] }), customTask('d', { dependsOn: ['zzz'] })],
    });
    const body = await expectProblem(dangling, 422, 'VALIDATION_FAILED');
    expect(body.issues?.map((i) => i.field)).toEqual(['tasks.1.dependsOn']);
    const cycle = await t.req('POST', `/sprints/${id}/tasks`, {
      tasks: [customTask('e', { dependsOn: ['f'] }), customTask('f', { dependsOn: ['e'] })],
    });
    await expectProblem(cycle, 422, 'VALIDATION_FAILED');
    const detail = (await (await t.req('GET', `/sprints/${id}`)).json()) as {
      sprint: { tasks: { id: string }[] };
    };
    expect(detail.sprint.tasks.map((x) => x.id)).toEqual(['a', 'b']);
  });

  it('names the missing field of a typed task (422)', async () => {
    t = await testApi();
    const id = await createSprint(t);
    const res = await t.req('POST', `/sprints/${id}/tasks`, {
      tasks: [{ id: 'refactor-x', type: 'refactor', fields: { goal: 'simpler' } }],
    });
    const body = await expectProblem(res, 422, 'VALIDATION_FAILED');
    expect(body.issues?.map((i) => i.field)).toContain('tasks.0.fields.target-path');
  });

  it('refuses tasks whose dependencies are missing or circular', async () => {
    t = await testApi();
    const res = await t.req('POST', '/sprints', {
      name: 'cyclic',
      tasks: [
        customTask('a', { dependsOn: ['b'] }),
        customTask('b', { dependsOn: ['a'] }),
        customTask('c', { dependsOn: ['zz'] }),
      ],
    });
    const body = await expectProblem(res, 422, 'VALIDATION_FAILED');
    expect(body.issues?.some((i) => i.field === 'tasks.2.dependsOn')).toBe(true);
    expect(await readdir(t.root)).toEqual([]);
  });
});

describe('runs', () => {
  it('creates, runs and completes a sprint with the noop agent', async () => {
    t = await testApi();
    const id = await createSprint(t);
    const res = await t.req('POST', `/sprints/${id}/run`, { agent: 'noop', maxIterations: 10 });
    expect(res.status).toBe(202);
    const accepted = (await res.json()) as {
      runId: string;
      sprintId: string;
      links: { result: string };
    };
    expect(accepted.sprintId).toBe(id);
    expect(accepted.runId).toMatch(/[0-9a-f-]{36}/);
    expect(res.headers.get('location')).toBe(`/sprints/${id}`);
    await settled(t, id, 'completed');
    const result = await t.req('GET', accepted.links.result);
    expect(result.status).toBe(200);
    const body = (await result.json()) as {
      runId: string;
      success: boolean;
      status: string;
      stepsCompleted: number;
      agentResults: { taskId: string; agent: string }[];
    };
    expect(body).toMatchObject({
      runId: accepted.runId,
      success: true,
      status: 'completed',
      stepsCompleted: 2,
    });
    expect(body.agentResults.map((r) => [r.taskId, r.agent])).toEqual([
      ['a', 'noop'],
      ['b', 'noop'],
    ]);
    // Completed: nothing left to run.
    await expectProblem(await t.req('POST', `/sprints/${id}/run`, {}), 409, 'SPRINT_FINISHED');
  });

  it('refuses to run a sprint whose log is gone with only a forged PROGRESS.yaml left (409 LOG_LOST), and reads it as not completed', async () => {
    t = await testApi();
    const id = await createSprint(t);
    expect(
      (await t.req('POST', `/sprints/${id}/run`, { agent: 'noop', maxIterations: 1 })).status,
    ).toBe(202);
    await settled(t, id, 'paused');
    const dir = join(t.root, id);
    for (const f of ['events.jsonl', 'state.json']) await rm(join(dir, f));
    const progress = join(dir, 'PROGRESS.yaml');
    await writeFile(
      progress,
      (await readFile(progress, 'utf8')).replace(/^status: paused$/m, 'status: completed'),
    );
    expect(await statusOf(t, id)).toBe('paused');
    const body = await expectProblem(
      await t.req('POST', `/sprints/${id}/resume`, {}),
      409,
      'LOG_LOST',
    );
    expect(body.detail).toContain('the log is gone');
  });

  it('runs several sprints at once', async () => {
    const gate = gateAgent();
    t = await testApi({ factories: { gate: gate.factory } });
    const one = await createSprint(t, { name: 'one' });
    const two = await createSprint(t, { name: 'two' });
    expect((await t.req('POST', `/sprints/${one}/run`, { agent: 'gate' })).status).toBe(202);
    expect((await t.req('POST', `/sprints/${two}/run`, { agent: 'gate' })).status).toBe(202);
    const list = (await (await t.req('GET', '/sprints')).json()) as {
      sprints: { id: string; running: boolean; status: string }[];
    };
    expect(list.sprints.map((s) => [s.id, s.running, s.status])).toEqual([
      [one, true, 'in-progress'],
      [two, true, 'in-progress'],
    ]);
    gate.release();
    await settled(t, one, 'completed');
    await settled(t, two, 'completed');
  });

  it('has no result before the first run ends (404 NO_RESULT)', async () => {
    t = await testApi();
    const id = await createSprint(t);
    await expectProblem(await t.req('GET', `/sprints/${id}/result`), 404, 'NO_RESULT');
  });

  it('refuses a run while the sprint runs (409), then pauses it', async () => {
    const gate = gateAgent();
    t = await testApi({ factories: { gate: gate.factory } });
    const id = await createSprint(t);
    const first = await t.req('POST', `/sprints/${id}/run`, { agent: 'gate' });
    expect(first.status).toBe(202);
    await gate.started;
    const second = await t.req('POST', `/sprints/${id}/run`, { agent: 'noop' });
    await expectProblem(second, 409, 'SPRINT_LOCKED');
    const resume = await t.req('POST', `/sprints/${id}/resume`, {});
    await expectProblem(resume, 409, 'SPRINT_LOCKED');
    const detail = (await (await t.req('GET', `/sprints/${id}`)).json()) as {
      sprint: { running: boolean; status: string };
      run: { runId: string } | null;
    };
    expect(detail.sprint.running).toBe(true);
    expect(detail.run?.runId).toBeTruthy();

    const pause = await t.req('POST', `/sprints/${id}/pause`);
    expect(pause.status).toBe(202);
    expect(await pause.json()).toMatchObject({ action: 'pause', outcome: 'requested' });
    gate.release();
    await settled(t, id, 'paused');
    const result = (await (await t.req('GET', `/sprints/${id}/result`)).json()) as {
      stopReason: { kind: string };
    };
    expect(result.stopReason.kind).toBe('paused');
    // The sprint's page says who paused it and how to go on.
    const paused = (await (await t.req('GET', `/sprints/${id}`)).json()) as {
      sprint: { reason: string; next: string; stopReason: unknown };
    };
    expect(paused.sprint).toMatchObject({
      reason: 'paused at the request of api',
      stopReason: { kind: 'paused', requestedBy: 'api' },
      next: `POST /sprints/${id}/resume`,
    });

    // Paused: resume with noop finishes it.
    const resumed = await t.req('POST', `/sprints/${id}/resume`, {
      agent: 'noop',
      answer: 'go on',
    });
    expect(resumed.status).toBe(202);
    expect(((await resumed.json()) as { kind: string }).kind).toBe('resume');
    await settled(t, id, 'completed');
  });

  it('stops a running agent; the task goes back to pending and the sprint stays resumable', async () => {
    const gate = gateAgent();
    t = await testApi({ factories: { gate: gate.factory } });
    const id = await createSprint(t);
    expect((await t.req('POST', `/sprints/${id}/run`, { agent: 'gate' })).status).toBe(202);
    await gate.started;
    const stop = await t.req('POST', `/sprints/${id}/stop`);
    expect(stop.status).toBe(202);
    await waitFor(async () => (t!.api.runs.active(id) ? undefined : true), 'the run to end');
    const detail = (await (await t.req('GET', `/sprints/${id}`)).json()) as {
      sprint: { status: string; tasks: { id: string; status: string }[] };
    };
    expect(detail.sprint.status).toBe('paused');
    expect(detail.sprint.tasks.find((x) => x.id === 'a')?.status).toBe('pending');
    // Stopping again: nothing runs.
    await expectProblem(await t.req('POST', `/sprints/${id}/stop`), 409, 'NOT_RUNNING');
    const resumed = await t.req('POST', `/sprints/${id}/resume`, { agent: 'noop' });
    expect(resumed.status).toBe(202);
    await settled(t, id, 'completed');
  });

  it('cancels a sprint with a reason, and refuses to cancel it twice', async () => {
    const gate = gateAgent();
    t = await testApi({ factories: { gate: gate.factory } });
    const id = await createSprint(t);
    expect((await t.req('POST', `/sprints/${id}/run`, { agent: 'gate' })).status).toBe(202);
    await gate.started;
    await expectProblem(await t.req('POST', `/sprints/${id}/cancel`, {}), 422, 'VALIDATION_FAILED');
    const cancel = await t.req('POST', `/sprints/${id}/cancel`, { reason: 'wrong plan' });
    expect(cancel.status).toBe(202);
    await settled(t, id, 'cancelled');
    await expectProblem(
      await t.req('POST', `/sprints/${id}/cancel`, { reason: 'again' }),
      409,
      'SPRINT_FINISHED',
    );
    const detail = (await (await t.req('GET', `/sprints/${id}`)).json()) as {
      sprint: { reason?: string };
    };
    expect(detail.sprint.reason).toBe('wrong plan');
  });

  it('cancels a sprint nobody runs directly (200 applied)', async () => {
    t = await testApi();
    const id = await createSprint(t);
    const res = await t.req('POST', `/sprints/${id}/cancel`, { reason: 'not needed' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      action: 'cancel',
      outcome: 'applied',
      status: 'cancelled',
    });
    await expectProblem(await t.req('POST', `/sprints/${id}/pause`), 409, 'NOT_RUNNING');
  });

  it('only runs agents the server configured', async () => {
    t = await testApi();
    const id = await createSprint(t);
    const res = await t.req('POST', `/sprints/${id}/run`, { agent: 'shell' });
    const body = await expectProblem(res, 422, 'UNKNOWN_AGENT');
    expect(body.issues?.[0]?.field).toBe('agent');
    const bin = await t.req('POST', `/sprints/${id}/run`, { agent: 'noop', binary: '/bin/sh' });
    const b2 = await expectProblem(bin, 422, 'VALIDATION_FAILED');
    expect(b2.issues?.[0]?.field).toBe('binary');
    const cfg = await t.req('POST', '/sprints', {
      name: 'x',
      config: { claude: { binary: '/bin/sh' }, projectDir: '/' },
    });
    const b3 = await expectProblem(cfg, 422, 'VALIDATION_FAILED');
    expect(b3.detail).toContain('config');
    const agentCfg = await t.req('POST', '/sprints', { name: 'y', config: { agent: 'evil' } });
    expect((await expectProblem(agentCfg, 422, 'UNKNOWN_AGENT')).issues?.[0]?.field).toBe(
      'config.agent',
    );
    expect(t.api.runs.list()).toEqual([]);
  });

  it('asks a run of a server without a default agent for `agent`, in API terms, naming the agents', async () => {
    t = await testApi({ enabled: ['noop', 'shell'], defaultAgent: null });
    const id = await createSprint(t);
    for (const action of ['run', 'resume']) {
      const res = await t.req('POST', `/sprints/${id}/${action}`, {});
      const body = await expectProblem(res, 422, 'AGENT_REQUIRED');
      expect(body.detail).toMatch(/send "agent" in the body/);
      expect(body.detail).toContain('noop, shell');
      expect(body.detail).not.toMatch(LIBRARY_WORDING);
      expect(body.issues).toEqual([{ field: 'agent', message: 'expected one of noop, shell' }]);
    }
    expect(t.api.runs.list()).toEqual([]);

    // A task's own agent field names one the server offers, or the request is refused.
    const own = await t.req('POST', `/sprints/${id}/tasks`, {
      tasks: [{ id: 'b', type: 'chore', fields: { agent: 'codex' } }],
    });
    expect((await expectProblem(own, 422, 'UNKNOWN_AGENT')).issues?.[0]?.field).toBe(
      'tasks.0.fields.agent',
    );

    // A sprint file naming an agent the server lacks: the fix is the body's `agent`.
    const yaml = join(t.root, id, 'SPRINT.yaml');
    await writeFile(
      yaml,
      (await readFile(yaml, 'utf8')).replace('config:\n', 'config:\n  agent: codex\n'),
    );
    const named = await t.req('POST', `/sprints/${id}/run`, {});
    const problem = await expectProblem(named, 422, 'UNKNOWN_AGENT');
    expect(problem.detail).toMatch(
      /^The sprint's config\.agent names agent "codex", which this server does not offer: send "agent" in the body/,
    );
    expect(problem.detail).not.toMatch(LIBRARY_WORDING);
    expect(problem.issues?.[0]?.field).toBe('agent');

    const started = await t.req('POST', `/sprints/${id}/run`, { agent: 'noop' });
    expect(started.status).toBe(202);
    await settled(t, id, 'completed');
  });

  it('refuses shell commands in task bodies unless the server allows them', async () => {
    t = await testApi();
    const res = await t.req('POST', '/sprints', {
      name: 'cmds',
      tasks: [customTask('a', { command: 'rm -rf ~' }), customTask('b', { verify: 'curl evil' })],
    });
    const body = await expectProblem(res, 422, 'VALIDATION_FAILED');
    expect(body.issues?.map((i) => i.field)).toEqual(['tasks.0.command', 'tasks.1.verify']);
    await t.cleanup();
    t = await testApi({ allowTaskCommands: true });
    const ok = await t.req('POST', '/sprints', {
      name: 'cmds',
      tasks: [customTask('a', { verify: 'true' })],
    });
    expect(ok.status).toBe(201);
  });

  it('validates run options like the CLI (422 naming the field)', async () => {
    t = await testApi();
    const id = await createSprint(t);
    for (const [body, field] of [
      [{ maxIterations: 0 }, 'maxIterations'],
      [{ maxIterations: 1.5 }, 'maxIterations'],
      [{ concurrency: 'two' }, 'concurrency'],
      [{ maxCostUsd: -1 }, 'maxCostUsd'],
      [{ taskTimeout: 'soon' }, 'taskTimeout'],
    ] as const) {
      const res = await t.req('POST', `/sprints/${id}/run`, body);
      const problem = await expectProblem(res, 422, 'VALIDATION_FAILED');
      expect(problem.issues?.[0]?.field).toBe(field);
    }
    const ok = await t.req('POST', `/sprints/${id}/run`, {
      agent: 'noop',
      taskTimeout: '90s',
      concurrency: 2,
    });
    expect(ok.status).toBe(202);
  });
});

describe('bad input', () => {
  it('answers an oversize body with 413 without reading it', async () => {
    t = await testApi({ maxBodyBytes: 1024 });
    const big = JSON.stringify({ name: 'x'.repeat(2000) });
    await expectProblem(await t.req('POST', '/sprints', big), 413, 'PAYLOAD_TOO_LARGE');
    // Without Content-Length (streamed): counted while reading.
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode(' '.repeat(500)));
        c.close();
      },
    });
    const res = await t.api.app.request('/sprints', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    await expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
    expect(await readdir(t.root)).toEqual([]);
  });

  it('answers malformed JSON with 400 and a wrong media type with 415', async () => {
    t = await testApi();
    for (const text of ['{', '{"name": }', "{'name': 'x'}", 'nul', '\u0000']) {
      await expectProblem(await t.req('POST', '/sprints', text), 400, 'MALFORMED_JSON');
    }
    const bytes = new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]);
    const res = await t.api.app.request('/sprints', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: bytes,
    });
    await expectProblem(res, 400, 'MALFORMED_JSON');
    const form = await t.req('POST', '/sprints', 'name=x', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    await expectProblem(form, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers schema violations with 422 naming the field', async () => {
    t = await testApi();
    const cases: [unknown, string][] = [
      [{}, 'name'],
      [{ name: '' }, 'name'],
      [{ name: 5 }, 'name'],
      [{ name: 'x', goals: 'one' }, 'goals'],
      [{ name: 'x', tasks: [{ id: '../x', type: 'custom' }] }, 'tasks.0.id'],
      [{ name: 'x', tasks: [{ id: 'a' }] }, 'tasks.0.type'],
      [{ name: 'x', tasks: [{ id: 'a', type: 'custom', priority: 'urgent' }] }, 'tasks.0.priority'],
      [{ name: 'x', extra: true }, 'extra'],
      [[], '(body)'],
      ['just a string', '(body)'],
      [null, '(body)'],
    ];
    for (const [body, field] of cases) {
      const res = await t.req('POST', '/sprints', JSON.stringify(body));
      const problem = await expectProblem(res, 422, 'VALIDATION_FAILED');
      expect(problem.issues?.map((i) => i.field)).toContain(field);
    }
    let deep: unknown = 1;
    for (let i = 0; i < 200; i++) deep = [deep];
    await expectProblem(
      await t.req('POST', '/sprints', {
        name: 'deep',
        tasks: [{ ...customTask('a'), fields: { x: deep } }],
      }),
      422,
      'VALIDATION_FAILED',
    );
    expect(await readdir(t.root)).toEqual([]);
  });

  it('never answers 500 to odd bodies on any route', async () => {
    t = await testApi();
    const id = await createSprint(t);
    const bodies = [
      '',
      '[]',
      '0',
      'true',
      '"x"',
      '{"__proto__": {"polluted": 1}}',
      '{"constructor": {"prototype": {"x": 1}}}',
      `{"name": "${'\u{1F600}'.repeat(50)}"}`,
      '{"tasks": [null]}',
      '{"tasks": [{"id": "a", "type": "custom", "fields": []}]}',
      '{"maxIterations": 1e309}',
      '{"answer": 12}',
      '{"reason": ""}',
      '{"agent": "../../bin/sh"}',
      '{"taskTimeout": -5}',
      '{"taskTimeout": "1e9h"}',
    ];
    const routes = [
      '/sprints',
      `/sprints/${id}/tasks`,
      `/sprints/${id}/run`,
      `/sprints/${id}/resume`,
      `/sprints/${id}/pause`,
      `/sprints/${id}/stop`,
      `/sprints/${id}/cancel`,
    ];
    for (const route of routes) {
      for (const body of bodies) {
        const res = await t.req('POST', route, body);
        expect(res.status, `${route} ${body}`).toBeLessThan(500);
        await waitFor(() => (t!.api.runs.list().length ? undefined : true), 'runs to end');
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('path traversal', () => {
  it('resolves sprint ids only inside the root: anything else is a 404 that touches nothing', async () => {
    t = await testApi();
    // A valid sprint just outside the root, which a traversal would reach.
    const outside = join(t.dir, '.claude', 'victim');
    await mkdir(outside, { recursive: true });
    await writeFile(join(outside, 'SPRINT.yaml'), 'sprint-id: victim\nname: victim\n');
    await writeFile(
      join(outside, 'PROGRESS.yaml'),
      'sprint-id: victim\nstatus: not-started\nqueue: []\n',
    );
    const before = await stat(outside);
    const ids = [
      '..%2Fvictim',
      '..%2f..%2f..%2fetc%2fpasswd',
      '%2e%2e%2fvictim',
      '%2Fetc%2Fpasswd',
      '%2Ftmp',
      '..%5Cvictim',
      '.hidden',
      '%252e%252e%252fvictim',
      'a%00b',
      '..',
      '...',
      'a..b',
      encodeURIComponent(outside),
    ];
    for (const id of ids) {
      for (const [method, suffix, body] of [
        ['GET', '', undefined],
        ['GET', '/result', undefined],
        ['GET', '/events', undefined],
        ['POST', '/tasks', { tasks: [customTask('x')] }],
        ['POST', '/run', { agent: 'noop' }],
        ['POST', '/pause', undefined],
        ['POST', '/stop', undefined],
        ['POST', '/cancel', { reason: 'x' }],
        ['POST', '/resume', undefined],
      ] as const) {
        const res = await t.req(method, `/sprints/${id}${suffix}`, body);
        if (method === 'GET' && new URL(`/sprints/${id}${suffix}`, 'http://h').pathname === '/') {
          // `/sprints/..` is `/` once the URL is parsed: the public dashboard page, no sprint data.
          expect(res.headers.get('content-type')).toContain('text/html');
          continue;
        }
        expect(res.status, `${method} /sprints/${id}${suffix}`).toBe(404);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        const text = await res.text();
        expect(text).not.toContain(t.root);
      }
    }
    // Plain `..` segments are resolved by URL parsing before routing: still 404.
    for (const path of [
      '/sprints/../sprints/x',
      '/sprints/%2e%2e/%2e%2e/etc/passwd',
      '/sprints//etc/passwd',
    ]) {
      expect((await t.req('GET', path)).status).toBe(404);
    }
    expect(await readdir(outside)).toEqual(['PROGRESS.yaml', 'SPRINT.yaml']);
    expect((await stat(outside)).mtimeMs).toBe(before.mtimeMs);
    expect(await readdir(t.root)).toEqual([]);
  });
});

describe('secrets', () => {
  it('keeps the token and configured secrets out of responses and events', async () => {
    const secret = 'sk-ant-very-secret-key-123456';
    t = await testApi({
      factories: { chatty: chattyAgent(`key=${secret} token=${TOKEN}`) },
      secrets: [secret],
    });
    const id = await createSprint(t, { notes: `notes ${secret}` });
    expect((await t.req('POST', `/sprints/${id}/run`, { agent: 'chatty' })).status).toBe(202);
    await settled(t, id, 'completed');
    const texts = await Promise.all(
      [`/sprints/${id}`, '/sprints', `/sprints/${id}/result`, '/openapi.json'].map(async (p) =>
        (await t!.req('GET', p)).text(),
      ),
    );
    const events = await t.req('GET', `/sprints/${id}/events`);
    const reader = events.body!.getReader();
    let sse = '';
    while (!sse.includes('"run-ended"')) {
      const { value, done } = await reader.read();
      if (done) break;
      sse += new TextDecoder().decode(value);
    }
    await reader.cancel();
    expect(sse).toContain('[redacted]');
    for (const text of [...texts, sse]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(TOKEN);
    }
  });
});

describe('skip and retry a task', () => {
  it('skips with who and why, refuses what cannot be done, and lets the dependent run', async () => {
    const gate = gateAgent();
    t = await testApi({ factories: { gate: gate.factory } });
    const id = await createSprint(t);
    const skip = (task: string, body: unknown) =>
      t!.req('POST', `/sprints/${id}/tasks/${task}/skip`, body);
    await expectProblem(await skip('a', {}), 422, 'VALIDATION_FAILED');
    await expectProblem(await skip('a', { reason: '   ' }), 422, 'VALIDATION_FAILED');
    const unknown = await expectProblem(await skip('zz', { reason: 'x' }), 404, 'TASK_NOT_FOUND');
    expect(unknown.detail).toContain('has no task "zz"');
    const retryPending = await expectProblem(
      await t.req('POST', `/sprints/${id}/tasks/a/retry`, {}),
      409,
      'TASK_NOT_CHANGEABLE',
    );
    expect(retryPending.detail).toContain('it is pending');
    await expectProblem(
      await t.req('POST', `/sprints/2026-01-01_missing/tasks/a/skip`, { reason: 'x' }),
      404,
      'SPRINT_NOT_FOUND',
    );
    expect(await t.store.readEvents(id)).toEqual([]);

    const res = await skip('a', { reason: 'done by hand' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      sprintId: id,
      taskId: 'a',
      from: 'pending',
      to: 'skipped',
      reason: 'done by hand',
      requestedBy: 'api',
    });
    const events = await t.store.readEvents(id);
    expect(events.at(-1)).toMatchObject({
      type: 'task-status',
      taskId: 'a',
      to: 'skipped',
      reason: 'done by hand',
      requestedBy: 'api',
    });

    // While a run holds the sprint: 409, nothing changes.
    expect((await t.req('POST', `/sprints/${id}/run`, { agent: 'gate' })).status).toBe(202);
    await gate.started;
    await expectProblem(
      await t.req('POST', `/sprints/${id}/tasks/a/retry`, {}),
      409,
      'SPRINT_LOCKED',
    );
    gate.release();
    await settled(t, id, 'completed');
    const { state } = await t.store.load(id);
    expect(state.tasks.a?.status).toBe('skipped');
    expect(state.tasks.b?.status).toBe('done');
  });

  it('retries a blocked task: pending again, and the next run runs it', async () => {
    let calls = 0;
    const flaky: AgentFactory = () => ({
      name: 'flaky',
      async run(): Promise<AgentResult> {
        calls++;
        return AgentResultSchema.parse(
          calls === 1
            ? { success: false, summary: 'no', error: { kind: 'failed', message: 'no' } }
            : { success: true, summary: 'ok' },
        );
      },
    });
    t = await testApi({ factories: { flaky } });
    const id = await createSprint(t, {
      tasks: [customTask('a')],
      config: { autoCommit: false, retry: { maxAttempts: 1 } },
    });
    expect((await t.req('POST', `/sprints/${id}/run`, { agent: 'flaky' })).status).toBe(202);
    await settled(t, id, 'blocked');
    const res = await t.req('POST', `/sprints/${id}/tasks/a/retry`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ from: 'blocked', to: 'pending', reason: 'retried' });
    expect((await t.req('POST', `/sprints/${id}/resume`, { agent: 'flaky' })).status).toBe(202);
    await settled(t, id, 'completed');
    expect(calls).toBe(2);
  });
});

describe('openapi', () => {
  it('documents every route from the zod schemas', async () => {
    t = await testApi();
    const res = await t.req('GET', '/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>
      >;
      components: {
        schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }>;
      };
    };
    expect(doc.openapi).toBe('3.1.0');
    const validation = await new Validator().validate(doc as unknown as Record<string, unknown>);
    expect(validation.errors ?? []).toEqual([]);
    expect(validation.valid).toBe(true);
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/health',
        '/openapi.json',
        '/sprints',
        '/sprints/{id}',
        '/sprints/{id}/answer',
        '/sprints/{id}/cancel',
        '/sprints/{id}/events',
        '/sprints/{id}/import/github',
        '/sprints/{id}/pause',
        '/sprints/{id}/result',
        '/sprints/{id}/resume',
        '/sprints/{id}/run',
        '/sprints/{id}/stop',
        '/sprints/{id}/tasks',
        '/sprints/{id}/tasks/{taskId}/retry',
        '/sprints/{id}/tasks/{taskId}/skip',
        '/workers',
      ].sort(),
    );
    expect(doc.paths['/sprints/{id}/run']?.post?.responses).toHaveProperty('409');
    expect(doc.components.schemas.CreateSprint?.required).toEqual(['name']);
    expect(Object.keys(doc.components.schemas.RunOptions?.properties ?? {}).sort()).toEqual(
      ['agent', 'concurrency', 'isolation', 'maxCostUsd', 'maxIterations', 'taskTimeout'].sort(),
    );
    expect(doc.components.schemas.RunResult?.required).toContain('stopReason');
    expect(doc.components.schemas.RunOptions?.properties?.agent).toMatchObject({ enum: ['noop'] });
    expect(doc.components.schemas.Problem?.required).toContain('code');
    // A worker's state is in the document, with the bound that makes one lost.
    const worker = (
      doc.components.schemas.WorkerList?.properties?.workers as
        | { items: { properties: Record<string, { description?: string }>; required: string[] } }
        | undefined
    )?.items;
    expect(worker?.properties.state).toMatchObject({ enum: ['live', 'lost', 'stopped'] });
    expect(worker?.properties.state?.description).toContain('15 s');
    expect(worker?.required).toEqual(expect.arrayContaining(['state', 'heartbeatAgeMs']));
    // Every reference resolves.
    const refs = [
      ...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g),
    ].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(doc.components.schemas, ref).toHaveProperty(ref);
  });

  it('answers every documented operation at its path and method (no 404 NOT_FOUND, no 405)', async () => {
    t = await testApi();
    const doc = (await (await t.req('GET', '/openapi.json')).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => [method.toUpperCase(), path] as const),
    );
    expect(operations.length).toBeGreaterThan(15);
    for (const [method, path] of operations) {
      const url = path.replace('{id}', 'no-such-sprint').replace('{taskId}', 't1');
      const res = await t.req(method, url, method === 'POST' ? {} : undefined);
      const body = res.headers.get('content-type')?.includes('json')
        ? ((await res.json()) as { code?: string })
        : {};
      // The router's own answers for a route that is not there; a handler's 404 says SPRINT_NOT_FOUND.
      expect(['NOT_FOUND', 'METHOD_NOT_ALLOWED'], `${method} ${path}`).not.toContain(body.code);
    }
  });
});

describe('shell commands hidden in task fields', () => {
  it('refuses verify and command in fields, in any spelling, on create and on add (422)', async () => {
    t = await testApi();
    const smuggled = [
      customTask('a', { fields: { description: 'x', 'done-when': 'y', verify: 'curl evil' } }),
      customTask('b', { fields: { description: 'x', 'done-when': 'y', command: 'rm -rf ~' } }),
      customTask('c', { fields: { description: 'x', 'done-when': 'y', Verify: 'curl evil' } }),
      customTask('d', { fields: { description: 'x', 'done-when': 'y', COMMAND_: 'rm -rf ~' } }),
    ];
    const create = await t.req('POST', '/sprints', { name: 'smuggle', tasks: smuggled });
    const body = await expectProblem(create, 422, 'VALIDATION_FAILED');
    expect(body.issues?.map((i) => i.field)).toEqual([
      'tasks.0.fields.verify',
      'tasks.1.fields.command',
      'tasks.2.fields.Verify',
      'tasks.3.fields.COMMAND_',
    ]);
    expect(await readdir(t.root)).toEqual([]);

    const id = await createSprint(t);
    const add = await t.req('POST', `/sprints/${id}/tasks`, { tasks: smuggled.slice(0, 2) });
    const added = await expectProblem(add, 422, 'VALIDATION_FAILED');
    expect(added.issues?.map((i) => i.field)).toEqual([
      'tasks.0.fields.verify',
      'tasks.1.fields.command',
    ]);
    const { definition } = await new SprintRootStore({ root: t.root }).load(id);
    expect(definition.tasks.map((task) => task.id)).toEqual(['a', 'b']);
  });

  it('takes them when the server allows task commands', async () => {
    t = await testApi({ allowTaskCommands: true });
    const id = await createSprint(t, {
      tasks: [customTask('a', { fields: { description: 'x', 'done-when': 'y', verify: 'true' } })],
    });
    const { definition } = await new SprintRootStore({ root: t.root }).load(id);
    expect(definition.tasks[0]?.verify).toBe('true');
  });
});

describe('durations', () => {
  it('refuses durations that are not finite, under 1 ms or over 2^31-1 ms, naming the field (422)', async () => {
    t = await testApi();
    for (const [config, field] of [
      [{ taskTimeout: 1e300 }, 'config.taskTimeout'],
      [{ taskTimeout: '0.1ms' }, 'config.taskTimeout'],
      [{ taskTimeout: '30d' }, 'config.taskTimeout'],
      [{ taskTimeout: 0 }, 'config.taskTimeout'],
      [{ retry: { delay: '0s' } }, 'config.retry.delay'],
      [{ retry: { delay: 3_000_000 } }, 'config.retry.delay'],
      [{ timeBox: '0s' }, 'config.timeBox'],
      [{ timeBox: '99999d' }, 'config.timeBox'],
      [{ timeBox: 'soon' }, 'config.timeBox'],
    ] as const) {
      const res = await t.req('POST', '/sprints', { name: 'bounded', config });
      const problem = await expectProblem(res, 422, 'VALIDATION_FAILED');
      expect(problem.issues?.map((i) => i.field)).toEqual([field]);
    }
    // A number too large for a double arrives as Infinity.
    const infinite = await t.req(
      'POST',
      '/sprints',
      '{"name":"bounded","config":{"taskTimeout":1e400}}',
    );
    expect((await expectProblem(infinite, 422, 'VALIDATION_FAILED')).issues?.[0]?.field).toBe(
      'config.taskTimeout',
    );
    expect(await readdir(t.root)).toEqual([]);

    const id = await createSprint(t);
    for (const taskTimeout of ['30d', 1e300, '0ms']) {
      const res = await t.req('POST', `/sprints/${id}/run`, { taskTimeout });
      const problem = await expectProblem(res, 422, 'VALIDATION_FAILED');
      expect(problem.issues?.[0]?.field).toBe('taskTimeout');
    }
    const raw = await t.req('POST', `/sprints/${id}/run`, '{"taskTimeout":1e400}');
    expect((await expectProblem(raw, 422, 'VALIDATION_FAILED')).issues?.[0]?.field).toBe(
      'taskTimeout',
    );
  });

  it('writes sub-second and boundary durations exactly, never 0s or Infinity', async () => {
    t = await testApi();
    const id = await createSprint(t, {
      name: 'precise',
      config: {
        autoCommit: false,
        taskTimeout: '0.4',
        timeBox: '90m',
        retry: { delay: 2 ** 31 / 1000 - 0.001 },
      },
    });
    const text = await readFile(join(t.root, id, 'SPRINT.yaml'), 'utf8');
    expect(text).not.toMatch(/Infinity|\b0s\b/);
    const { definition } = await new SprintRootStore({ root: t.root }).load(id);
    expect(definition.config).toMatchObject({
      taskTimeoutMs: 400,
      timeBox: '90m',
      retry: { delayMs: 2 ** 31 - 1 },
    });
  });

  it("answers core's INVALID_OPTIONS with 422", async () => {
    const { toProblem } = await import('./problem.js');
    const { InvalidOptionsError } = await import('@sprint/core');
    expect(toProblem(new InvalidOptionsError('task timeout too long'))).toMatchObject({
      status: 422,
      code: 'INVALID_OPTIONS',
    });
  });
});

describe('error bodies', () => {
  it('redacts secrets and hides the root in every issue, not only in detail', async () => {
    const secret = 'sk-ant-issue-secret-7654321';
    t = await testApi({
      secrets: [secret],
      store: (store) => {
        const load = store.load.bind(store);
        store.load = async (id: string) => {
          if (id !== 'broken') return load(id);
          throw new InvalidSprintError([
            {
              file: join(t!.root, 'broken', 'SPRINT.yaml'),
              field: `name ${secret}`,
              message: `bad value ${secret} in ${join(t!.root, 'broken', 'SPRINT.yaml')}`,
              fix: `edit ${join(t!.root, 'broken', 'SPRINT.yaml')} and drop ${secret}`,
            },
          ]);
        };
        return store;
      },
    });
    const res = await t.req('GET', '/sprints/broken');
    const body = await expectProblem(res, 422, 'INVALID_SPRINT');
    const text = JSON.stringify(body);
    expect(body.issues?.length).toBe(1);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(t.root);
    expect(text).not.toContain(t.dir);
    expect(text).toContain('<root>');

    // A request's own issue that quotes a value.
    const id = await createSprint(t);
    const add = await t.req('POST', `/sprints/${id}/tasks`, {
      tasks: [
        customTask('z', { fields: { description: 'x', 'done-when': 'y', priority: secret } }),
      ],
    });
    const invalid = await expectProblem(add, 422, 'VALIDATION_FAILED');
    expect(invalid.issues?.length).toBeGreaterThan(0);
    expect(JSON.stringify(invalid)).not.toContain(secret);
  });
});

describe('secrets on disk', () => {
  it("keeps the server's secrets out of events.jsonl, result.json and PROGRESS.yaml", async () => {
    const secret = 'sk-ant-disk-secret-abcdef123456';
    const leaky: AgentFactory = () => ({
      name: 'leaky',
      async run(ctx: AgentContext): Promise<AgentResult> {
        ctx.emit({ kind: 'log', stream: 'stdout', line: `key=${secret} token=${TOKEN}` });
        return AgentResultSchema.parse({
          success: true,
          summary: `used ${secret} and ${TOKEN}`,
        });
      },
    });
    t = await testApi({ factories: { leaky }, secrets: [secret] });
    const id = await createSprint(t, { tasks: [customTask('a')] });
    expect((await t.req('POST', `/sprints/${id}/run`, { agent: 'leaky' })).status).toBe(202);
    await settled(t, id, 'completed');
    const files = await readdir(join(t.root, id), { recursive: true });
    for (const name of ['events.jsonl', 'result.json', 'PROGRESS.yaml']) {
      expect(
        files.some((f) => f.endsWith(name)),
        name,
      ).toBe(true);
    }
    let seen = 0;
    for (const file of files) {
      const path = join(t.root, id, file);
      if (!(await stat(path)).isFile()) continue;
      const text = await readFile(path, 'utf8');
      expect(text, file).not.toContain(secret);
      expect(text, file).not.toContain(TOKEN);
      if (text.includes('[redacted]')) seen++;
    }
    expect(seen).toBeGreaterThan(0);
  });
});

describe('finished sprints', () => {
  it('refuses tasks for a completed or cancelled sprint with 409 SPRINT_FINISHED', async () => {
    t = await testApi();
    const done = await createSprint(t, { name: 'done' });
    expect((await t.req('POST', `/sprints/${done}/run`, { agent: 'noop' })).status).toBe(202);
    await settled(t, done, 'completed');
    const cancelled = await createSprint(t, { name: 'dropped' });
    expect((await t.req('POST', `/sprints/${cancelled}/cancel`, { reason: 'no' })).status).toBe(
      200,
    );
    for (const [id, status] of [
      [done, 'completed'],
      [cancelled, 'cancelled'],
    ] as const) {
      const res = await t.req('POST', `/sprints/${id}/tasks`, { tasks: [customTask('z')] });
      const body = await expectProblem(res, 409, 'SPRINT_FINISHED');
      expect(body.detail).toContain(`Sprint ${id} is already ${status}`);
      expect(body.detail).toContain('POST /sprints');
      expect(body.detail).not.toContain('sprint init');
    }
    const run = await t.req('POST', `/sprints/${done}/run`, { agent: 'noop' });
    expect((await expectProblem(run, 409, 'SPRINT_FINISHED')).detail).not.toContain('sprint init');
  });
});

describe('methods', () => {
  it('answers a known path with a wrong method with 405 and Allow', async () => {
    t = await testApi();
    for (const [method, path, allow] of [
      ['DELETE', '/sprints/x', 'GET, HEAD'],
      ['GET', '/sprints/x/run', 'POST'],
      ['PUT', '/sprints', 'GET, HEAD, POST'],
      ['POST', '/health', 'GET, HEAD'],
      ['DELETE', '/sprints/x/events', 'GET, HEAD'],
    ] as const) {
      const res = await t.req(method, path);
      const body = await expectProblem(res, 405, 'METHOD_NOT_ALLOWED');
      expect(res.headers.get('allow'), `${method} ${path}`).toBe(allow);
      expect(body.detail).toContain(allow);
    }
    await expectProblem(await t.req('GET', '/nowhere'), 404, 'NOT_FOUND');
    await expectProblem(await t.req('GET', '/sprints/x/y/z'), 404, 'NOT_FOUND');
    await expectProblem(
      await t.req('DELETE', '/sprints/x', undefined, { authorization: '' }),
      401,
      'UNAUTHORIZED',
    );
  });
});
