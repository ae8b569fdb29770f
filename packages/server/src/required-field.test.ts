import { afterEach, describe, expect, it } from 'vitest';
import { listeningServer, TOKEN } from './test-support/harness.js';

// A field left out of a body, through a real listening server: the problem says what to
// send, not zod's "expected string, received undefined".

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe('a required field left out or empty', () => {
  it('cancel without a reason is a 422 problem saying a reason (text) is required; an empty one, that it must not be empty', async () => {
    const started = await listeningServer();
    cleanups.push(started.close);
    const { server } = started;
    const post = (path: string, body: unknown) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const created = await post('/sprints', { name: 'to-cancel' });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { sprint: { id: string } }).sprint.id;

    const missing = await post(`/sprints/${id}/cancel`, {});
    expect(missing.status).toBe(422);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await missing.json()) as Record<string, unknown>;
    expect(problem).toMatchObject({
      status: 422,
      code: 'VALIDATION_FAILED',
      detail: 'Invalid request: reason: required (text)',
      issues: [{ field: 'reason', message: 'required (text)' }],
    });

    const empty = await post(`/sprints/${id}/cancel`, { reason: '  ' });
    expect(empty.status).toBe(422);
    expect(await empty.json()).toMatchObject({
      code: 'VALIDATION_FAILED',
      issues: [{ field: 'reason', message: 'must not be empty' }],
    });
    // Nothing was cancelled by either.
    const detail = (await (
      await fetch(`${server.url}/sprints/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { sprint: { status: string } };
    expect(detail.sprint.status).toBe('not-started');
  });
});
