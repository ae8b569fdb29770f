import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type FakeGithub, type FakeGithubOptions, startFakeGithub } from '@sprint/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { customTask, type TestApi, testApi } from './test-support/harness.js';

let t: TestApi | undefined;
const fakes: FakeGithub[] = [];
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

const GH_TOKEN = 'server-gh-token-0123456789';

async function setup(options: FakeGithubOptions, token: string | undefined = GH_TOKEN) {
  const gh = await startFakeGithub(options);
  fakes.push(gh);
  t = await testApi({ github: { apiUrl: gh.url, token: async () => token } });
  const res = await t.req('POST', '/sprints', {
    name: 'issues',
    tasks: [customTask('a')],
    config: { autoCommit: false },
  });
  expect(res.status).toBe(201);
  const id = ((await res.json()) as { sprint: { id: string } }).sprint.id;
  return { gh, api: t, id };
}

const many = (n: number, labels: string[] = ['sprint']) =>
  Array.from({ length: n }, (_, i) => ({ number: i + 1, title: `Issue ${i + 1}`, labels }));

async function problem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  const body = (await res.json()) as { code: string; detail: string; issues?: unknown[] };
  expect(body.code).toBe(code);
  return body;
}

describe('POST /sprints/{id}/import/github', () => {
  it("adds one implement-issue task per labelled issue of every page, with the server's token, and skips them the second time", async () => {
    const { gh, api, id } = await setup({
      token: GH_TOKEN,
      repos: {
        'acme/web': {
          issues: [
            ...many(120),
            { number: 300, title: 'Other label', labels: ['other'] },
            { number: 301, title: 'A pull request', labels: ['sprint'], pullRequest: true },
          ],
        },
      },
    });
    const res = await api.req('POST', `/sprints/${id}/import/github`, {
      repo: 'acme/web',
      label: 'sprint',
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      repo: string;
      listed: number;
      added: string[];
      skipped: unknown[];
    };
    expect(body.repo).toBe('acme/web');
    expect(body.listed).toBe(120);
    expect(body.added).toHaveLength(120);
    expect(body.added[0]).toBe('implement-issue-1');
    expect(body.skipped).toEqual([]);
    // The server's token went to GitHub on every page; the request carried none.
    const issueRequests = gh.requests.filter((r) => r.path.startsWith('/repos/acme/web/issues'));
    expect(issueRequests.length).toBe(2);
    for (const r of issueRequests) expect(r.headers.authorization).toBe(`Bearer ${GH_TOKEN}`);

    const detail = (await (await api.req('GET', `/sprints/${id}`)).json()) as {
      sprint: { tasks: { id: string }[] };
    };
    expect(detail.sprint.tasks.map((task) => task.id)).toContain('implement-issue-120');

    const again = await api.req('POST', `/sprints/${id}/import/github`, {
      repo: 'acme/web',
      label: ['sprint'],
    });
    expect(again.status).toBe(200);
    const second = (await again.json()) as { added: string[]; skipped: { issue: number }[] };
    expect(second.added).toEqual([]);
    expect(second.skipped).toHaveLength(120);
    expect(second.skipped[0]).toEqual({ issue: 1, taskId: 'implement-issue-1' });
  });

  it('refuses a malformed repo, a token in the request and an unknown sprint before asking GitHub', async () => {
    const { gh, api, id } = await setup({ repos: { 'acme/web': { issues: many(2) } } });
    const bad = await problem(
      await api.req('POST', `/sprints/${id}/import/github`, { repo: 'not a repo' }),
      422,
      'VALIDATION_FAILED',
    );
    expect(bad.issues).toEqual([expect.objectContaining({ field: 'repo' })]);
    const token = await problem(
      await api.req('POST', `/sprints/${id}/import/github`, { repo: 'acme/web', token: 'x' }),
      422,
      'VALIDATION_FAILED',
    );
    expect(JSON.stringify(token.issues)).toContain('token');
    await problem(
      await api.req('POST', '/sprints/no-such-sprint/import/github', { repo: 'acme/web' }),
      404,
      'SPRINT_NOT_FOUND',
    );
    await problem(
      await api.req('POST', `/sprints/${id}/import/github`, '{"repo":'),
      400,
      'MALFORMED_JSON',
    );
    expect(gh.requests).toEqual([]);
    const res = await api.req('GET', `/sprints/${id}/import/github`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it("answers a refused token 502, naming the server's token, without showing it", async () => {
    const { api, id } = await setup(
      { token: 'the-right-token-0123', repos: { 'acme/web': { issues: many(3) } } },
      'a-wrong-token-456789',
    );
    const auth = await problem(
      await api.req('POST', `/sprints/${id}/import/github`, { repo: 'acme/web' }),
      502,
      'GITHUB_AUTH',
    );
    expect(auth.detail).toContain('401');
    expect(auth.detail).toContain('GITHUB_TOKEN');
    expect(auth.detail).not.toContain('a-wrong-token-456789');
  });

  it('answers an unknown repository 422 and a rate limit 503 with Retry-After, changing nothing', async () => {
    const { gh, api, id } = await setup({ repos: { 'acme/web': { issues: many(3) } } }, undefined);
    const progress = join(api.root, id, 'SPRINT.yaml');
    const before = await readFile(progress, 'utf8');
    await problem(
      await api.req('POST', `/sprints/${id}/import/github`, { repo: 'acme/nothing' }),
      422,
      'GITHUB_NOT_FOUND',
    );
    gh.rateLimit({ kind: 'primary', requests: 1, resetInSeconds: 600 });
    const limited = await api.req('POST', `/sprints/${id}/import/github`, { repo: 'acme/web' });
    await problem(limited, 503, 'GITHUB_RATE_LIMITED');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(500);
    expect(retryAfter).toBeLessThanOrEqual(601);

    expect(await readFile(progress, 'utf8')).toBe(before);
    const detail = (await (await api.req('GET', `/sprints/${id}`)).json()) as {
      sprint: { tasks: { id: string }[] };
    };
    expect(detail.sprint.tasks.map((task) => task.id)).toEqual(['a']);
  });
});
