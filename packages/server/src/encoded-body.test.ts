import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { pickCoding } from './encoded-body.js';
import { customTask, type TestApi, testApi } from './test-support/harness.js';

let t: TestApi | undefined;
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
});

async function sprintWithTasks(api: TestApi, n: number): Promise<string> {
  const created = await api.req('POST', '/sprints', {
    name: 'encoded',
    tasks: Array.from({ length: n }, (_, i) => customTask(`t${i}`)),
    config: { autoCommit: false },
  });
  expect(created.status).toBe(201);
  return ((await created.json()) as { sprint: { id: string } }).sprint.id;
}

describe('GET /sprints and /sprints/{id}: ETag, 304 and compression', () => {
  it('answers If-None-Match with 304 while the sprint is unchanged, and with the new body after a change', async () => {
    t = await testApi();
    const id = await sprintWithTasks(t, 2);
    for (const path of [`/sprints/${id}`, '/sprints']) {
      const first = await t.req('GET', path);
      expect(first.status).toBe(200);
      const etag = first.headers.get('etag');
      expect(etag).toMatch(/^"[\w-]{22}"$/);
      expect(first.headers.get('cache-control')).toBe('private, no-cache');
      const again = await t.req('GET', path, undefined, { 'if-none-match': etag! });
      expect(again.status).toBe(304);
      expect(await again.text()).toBe('');
      // A list of tags, weak or not, names it too.
      const weak = await t.req('GET', path, undefined, { 'if-none-match': `"x", W/${etag}` });
      expect(weak.status).toBe(304);
    }
    const before = (await t.req('GET', `/sprints/${id}`)).headers.get('etag')!;
    expect(
      (await t.req('POST', `/sprints/${id}/tasks`, { tasks: [customTask('t9')] })).status,
    ).toBe(200);
    const after = await t.req('GET', `/sprints/${id}`, undefined, { 'if-none-match': before });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(before);
    const tasks = ((await after.json()) as { sprint: { tasks: { id: string }[] } }).sprint.tasks;
    expect(tasks.map((task) => task.id)).toEqual(['t0', 't1', 't9']);
  });

  it('sends brotli or gzip when the client accepts it, the same JSON as without', async () => {
    t = await testApi();
    const id = await sprintWithTasks(t, 30);
    const plain = await t.req('GET', `/sprints/${id}`);
    const text = await plain.text();
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(plain.headers.get('vary')).toBe('accept-encoding');
    const cases = [
      ['gzip, deflate, br, zstd', 'br', brotliDecompressSync],
      ['gzip', 'gzip', gunzipSync],
      ['br;q=0, gzip;q=0.5', 'gzip', gunzipSync],
    ] as const;
    for (const [accept, coding, decode] of cases) {
      const res = await t.req('GET', `/sprints/${id}`, undefined, { 'accept-encoding': accept });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-encoding')).toBe(coding);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(bytes.length).toBeLessThan(Buffer.byteLength(text) / 2);
      expect(decode(bytes).toString('utf8')).toBe(text);
      // Each coding has its own ETag; any of them revalidates.
      expect(res.headers.get('etag')).toBe(plain.headers.get('etag')!.replace(/"$/, `.${coding}"`));
      const again = await t.req('GET', `/sprints/${id}`, undefined, {
        'if-none-match': res.headers.get('etag')!,
      });
      expect(again.status).toBe(304);
    }
  });
});

describe('pickCoding', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['identity', undefined],
    ['gzip', 'gzip'],
    ['GZIP, BR', 'br'],
    ['br;q=0', undefined],
    ['br;q=0, gzip', 'gzip'],
    ['deflate, zstd', undefined],
  ])('%s -> %s', (header, coding) => {
    expect(pickCoding(header)).toBe(coding);
  });
});
