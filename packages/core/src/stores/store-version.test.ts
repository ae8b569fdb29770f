import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SprintRootStore } from '../workspace/sprint-root-store.js';
import { taskFromFields } from '../workspace/task-input.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const task = (id: string) =>
  taskFromFields('custom', {
    id,
    title: `Task ${id}`,
    description: `do ${id}`,
    'done-when': 'done',
  });

describe('store.version', () => {
  it('stays the same while nothing changes and differs after any process changes the sprint', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sprint-version-'));
    dirs.push(root);
    const server = new SprintRootStore({ root });
    const id = await server.create({ name: 'v', tasks: [task('a')] });
    const v1 = await server.version(id);
    await server.load(id);
    expect(await server.version(id)).toBe(v1);

    // Another process's store (the CLI) adds a task.
    const cli = new SprintRootStore({ root });
    await cli.addTasks(id, [task('b')]);
    const v2 = await server.version(id);
    expect(v2).not.toBe(v1);

    // A person edits PROGRESS.yaml by hand, same size or not.
    const progress = join(root, id, 'PROGRESS.yaml');
    await writeFile(progress, `${readFileSync(progress, 'utf8')}\n`);
    expect(await server.version(id)).not.toBe(v2);
  });

  it('versions a Markdown sprint document under the root too, and a request for control leaves it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sprint-version-'));
    dirs.push(root);
    const doc = join(root, 'sprint-01_doc.md');
    const text = [
      '---',
      'sprint: 1',
      'title: "Doc"',
      'status: todo',
      '---',
      '',
      '# Sprint 01: Doc',
      '',
      '## Tasks',
      '',
      '- [ ] First <!-- id: a -->',
      '',
    ].join('\n');
    await writeFile(doc, text);
    const store = new SprintRootStore({ root });
    const v1 = await store.version('sprint-01_doc');
    expect(await store.version('sprint-01_doc')).toBe(v1);
    await writeFile(doc, text.replace('First', 'First step'));
    expect(await store.version('sprint-01_doc')).not.toBe(v1);

    // A pending control request is no part of what a load reads.
    const id = await store.create({ name: 'v', tasks: [task('a')] });
    const before = await store.version(id);
    await store.requestControl(id, { action: 'pause', requestedAt: new Date().toISOString() });
    expect(await store.version(id)).toBe(before);
  });

  it('rejects a sprint that is not there', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sprint-version-'));
    dirs.push(root);
    await expect(new SprintRootStore({ root }).version('missing')).rejects.toMatchObject({
      code: 'SPRINT_NOT_FOUND',
    });
  });
});
