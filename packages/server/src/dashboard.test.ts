import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DASHBOARD_CSP, isDashboardPath } from './dashboard.js';
import { customTask, type TestApi, testApi } from './test-support/harness.js';

let t: TestApi | undefined;
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
});

const anonymous = { authorization: '' };

describe('the dashboard routes', () => {
  it.each([
    ['/', true],
    ['/assets/app-x.js', true],
    ['/sprints', false],
    ['/health', false],
    ['/openapi.json', false],
    ['/assetsx', false],
  ])('isDashboardPath(%s) is %s', (path, expected) => {
    expect(isDashboardPath(path)).toBe(expected);
  });

  it('serves the page without the token, with the CSP, revalidated by ETag', async () => {
    t = await testApi();
    const res = await t.req('GET', '/', undefined, anonymous);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const etag = res.headers.get('etag')!;
    const again = await t.req('GET', '/', undefined, { ...anonymous, 'if-none-match': etag });
    expect(again.status).toBe(304);
    const html = await res.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const js = await t.req('GET', script!, undefined, { ...anonymous, 'accept-encoding': 'gzip' });
    expect(js.status).toBe(200);
    expect(js.headers.get('content-encoding')).toBe('gzip');
    expect(js.headers.get('cache-control')).toContain('immutable');
  });

  it('answers an unknown asset 404 and still guards the API', async () => {
    t = await testApi();
    expect((await t.req('GET', '/assets/nope.js', undefined, anonymous)).status).toBe(404);
    expect((await t.req('GET', '/sprints', undefined, anonymous)).status).toBe(401);
    expect((await t.req('POST', '/', {}, anonymous)).status).not.toBe(200);
  });

  it('lists a sprint that fails to load with the reason, and the loadable ones with cost and tokens', async () => {
    t = await testApi();
    const created = await t.req('POST', '/sprints', {
      name: 'good',
      tasks: [customTask('a'), customTask('b', { dependsOn: ['a'] })],
      config: { autoCommit: false },
    });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { sprint: { id: string } }).sprint.id;
    await mkdir(join(t.root, 'broken'));
    await writeFile(join(t.root, 'broken', 'SPRINT.yaml'), 'name: broken\ntasks: 42\n');
    const list = (await (await t.req('GET', '/sprints')).json()) as {
      sprints: { id: string; costUsd: number; current: string[]; invalid?: string }[];
    };
    const good = list.sprints.find((s) => s.id === id)!;
    expect(good).toMatchObject({ costUsd: 0, current: [] });
    expect(good.invalid).toBeUndefined();
    const broken = list.sprints.find((s) => s.id === 'broken')!;
    expect(broken.invalid).toMatch(/SPRINT\.yaml/);
    expect(broken.invalid).not.toContain(t.root);
    const detail = (await (await t.req('GET', `/sprints/${id}`)).json()) as {
      sprint: { tasks: { id: string; dependsOn: string[]; costUsd: number }[] };
    };
    expect(detail.sprint.tasks.find((x) => x.id === 'b')).toMatchObject({
      dependsOn: ['a'],
      costUsd: 0,
    });
  });
});
