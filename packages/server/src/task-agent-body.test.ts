import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  callServer as call,
  customTask,
  listeningServer,
  waitFor,
} from './test-support/harness.js';

// A task's own `agent` and `model` at the top of its body, as `sprint add --agent/--model`,
// through a real listening server.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** A server offering noop and shell, shell by default: a task that completes ran on noop. */
async function serve() {
  const started = await listeningServer({
    agents: { enabled: ['noop', 'shell'], defaultAgent: 'shell' },
  });
  cleanups.push(started.close);
  return started;
}

describe('a task body with its own agent and model', () => {
  it('runs the task on that agent and keeps both as the sprint file writes them (POST /sprints and /tasks)', async () => {
    const { server, root } = await serve();
    const created = await call(server, 'POST', '/sprints', {
      name: 'own-agent',
      tasks: [customTask('a', { agent: 'noop', model: 'gpt-5-mini' })],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.sprint.id as string;
    const added = await call(server, 'POST', `/sprints/${id}/tasks`, {
      // The top-level key wins over the same key in `fields`.
      tasks: [
        customTask('b', { agent: 'noop', fields: { ...customTask('b').fields, agent: 'shell' } }),
      ],
    });
    expect(added.status, JSON.stringify(added.body)).toBe(200);

    const files = await Promise.all(
      (await readdir(join(root, id)))
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => readFile(join(root, id, f), 'utf8')),
    );
    const text = files.join('\n');
    expect(text).toContain('agent: noop');
    expect(text).toContain('model: gpt-5-mini');
    expect(text).not.toContain('agent: shell');

    expect((await call(server, 'POST', `/sprints/${id}/run`, {})).status).toBe(202);
    const done = await waitFor(async () => {
      const res = await call(server, 'GET', `/sprints/${id}`);
      return res.body.sprint.status === 'completed' ? res.body.sprint : undefined;
    }, 'the sprint to complete on the tasks own agent');
    expect(done.counts.done).toBe(2);
  });

  it('refuses an agent the server does not offer with 422 UNKNOWN_AGENT naming the field, and adds nothing', async () => {
    const { server } = await serve();
    const refused = await call(server, 'POST', '/sprints', {
      name: 'evil',
      tasks: [customTask('a', { agent: 'evil' })],
    });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('UNKNOWN_AGENT');
    expect(refused.body.issues).toEqual([
      { field: 'tasks.0.agent', message: 'expected one of noop, shell' },
    ]);
    expect((await call(server, 'GET', '/sprints')).body.sprints).toEqual([]);

    const created = await call(server, 'POST', '/sprints', {
      name: 'ok',
      tasks: [customTask('a')],
    });
    const id = created.body.sprint.id as string;
    const add = await call(server, 'POST', `/sprints/${id}/tasks`, {
      tasks: [customTask('b'), customTask('c', { agent: 'codex', model: 'gpt-5' })],
    });
    expect(add.status).toBe(422);
    expect(add.body.issues?.[0]?.field).toBe('tasks.1.agent');
    const after = await call(server, 'GET', `/sprints/${id}`);
    expect(after.body.sprint.counts.total).toBe(1);
  });

  it('shows agent and model in the OpenAPI document of a task body', async () => {
    const { server } = await serve();
    const doc = await call(server, 'GET', '/openapi.json');
    const props = doc.body.components.schemas.TaskInput.properties;
    expect(props.agent).toMatchObject({ type: 'string', minLength: 1 });
    expect(props.model).toMatchObject({ type: 'string', minLength: 1 });
  });
});
