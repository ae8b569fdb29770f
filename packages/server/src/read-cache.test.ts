import { SprintRootStore } from '@sprint/core';
import { afterEach, describe, expect, it } from 'vitest';
import { customTask, type TestApi, testApi } from './test-support/harness.js';

let t: TestApi | undefined;
afterEach(async () => {
  await t?.cleanup();
  t = undefined;
});

describe('GET /sprints/{id} cached per version', () => {
  it('serves an unchanged sprint from the cache and a sprint changed by another process never stale', async () => {
    let loads = 0;
    t = await testApi({
      // An hour: only the version can tell the cache that the sprint changed.
      readCacheMs: 3_600_000,
      store: (store) =>
        Object.assign(Object.create(Object.getPrototypeOf(store)), store, {
          load: (id: string) => {
            loads++;
            return store.load(id);
          },
          version: (id: string) => store.version(id),
          inspectLock: (id: string) => store.inspectLock(id),
        }),
    });
    const created = await t.req('POST', '/sprints', {
      name: 'cached',
      tasks: [customTask('a')],
      config: { autoCommit: false },
    });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { sprint: { id: string } }).sprint.id;
    const ids = async () => {
      const res = await t!.req('GET', `/sprints/${id}`);
      expect(res.status).toBe(200);
      return ((await res.json()) as { sprint: { tasks: { id: string }[] } }).sprint.tasks.map(
        (task) => task.id,
      );
    };
    expect(await ids()).toEqual(['a']);
    const afterFirst = loads;
    for (let i = 0; i < 20; i++) expect(await ids()).toEqual(['a']);
    expect(loads).toBe(afterFirst);

    // Another process (the CLI) adds a task through its own store: the next read shows it.
    const cli = new SprintRootStore({ root: t.root });
    const [a] = (await cli.load(id)).definition.tasks;
    await cli.addTasks(id, [{ ...a!, id: 'b', title: 'Task b' }]);
    expect(await ids()).toEqual(['a', 'b']);
    expect(loads).toBe(afterFirst + 1);
  });
});
