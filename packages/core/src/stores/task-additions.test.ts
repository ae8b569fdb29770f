import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentRegistry } from '../agents/agent-registry.js';
import { NoopAgent } from '../agents/builtin-agents.js';
import { validateTasks } from '../model/validate.js';
import { SprintRunner } from '../runner/sprint-runner.js';
import { parseTasksFile } from '../workspace/task-input.js';
import { SprintDirectoryStore } from './sprint-directory-store.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sprint-adds-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const task = (id: string, type = 'chore', fields: Record<string, unknown> = {}) => ({
  id,
  type,
  priority: 'medium' as const,
  dependsOn: [],
  fields,
});

/** A sprint as the original plugin leaves it: finished entries carry no description. */
async function pluginSprint(): Promise<string> {
  const dir = join(root, '2026-01-15_history');
  await mkdir(dir);
  await writeFile(join(dir, 'SPRINT.yaml'), 'name: history\n');
  await writeFile(
    join(dir, 'PROGRESS.yaml'),
    [
      'status: in-progress',
      'queue:',
      '  - id: custom-next',
      '    type: custom',
      '    description: Next',
      '    done-when: done',
      'completed:',
      '  - id: custom-old',
      '    type: custom',
      '    completed-at: 2026-01-15T09:10:00Z',
      'blocked:',
      '  - id: implement-issue-old',
      '    type: implement-issue',
      '    reason: waiting',
      '',
    ].join('\n'),
  );
  return '2026-01-15_history';
}

describe('adding tasks', () => {
  it('does not hold finished history without description or issue-number against add and run', async () => {
    const id = await pluginSprint();
    const store = new SprintDirectoryStore({ root });
    const r = await store.addTasks(id, [task('chore-1')]);
    expect(r.added).toEqual(['chore-1']);
    const result = await new SprintRunner({
      store,
      agents: new AgentRegistry({ default: new NoopAgent() }),
    }).run(id);
    const ran = result.agentResults.map((s) => s.taskId);
    expect(ran).toContain('chore-1');
    expect(ran).toContain('custom-next');
    expect(ran).not.toContain('custom-old');
  });

  it('leaves no events.jsonl behind when every id is already there', async () => {
    const store = new SprintDirectoryStore({ root });
    const id = await store.create({ name: 'x', tasks: [task('a')] });
    expect(await store.addTasks(id, [task('a')])).toEqual({ added: [], skipped: ['a'] });
    expect(await readdir(join(root, id))).not.toContain('events.jsonl');
  });

  it('refuses the same id twice in one batch or one import file, naming the line', async () => {
    const store = new SprintDirectoryStore({ root });
    const id = await store.create({ name: 'x' });
    await expect(store.addTasks(id, [task('a'), task('a')])).rejects.toMatchObject({
      code: 'INVALID_SPRINT',
    });
    const text = '- id: a\n  type: chore\n- id: b\n  type: chore\n- id: a\n  type: chore\n';
    let error: unknown;
    try {
      parseTasksFile(text, '/x/tasks.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      code: 'INVALID_SPRINT',
      issues: [{ file: '/x/tasks.yaml', line: 5, field: 'tasks[2].id' }],
    });
  });

  it.each([
    ['custon', 'custom'],
    ['refactr', 'refactor'],
    ['update-dcos', 'update-docs'],
    ['implement-isue', 'implement-issue'],
  ])('asks whether %s meant the built-in type %s', (type, near) => {
    const [issue] = validateTasks([task('t', type)]);
    expect(issue).toMatchObject({ field: 'type', suggestion: near });
    expect(issue?.fix).toContain(`did you mean "${near}"`);
  });

  it.each(['chore', 'lint', 'customer', 'docs'])('takes %s as a type of your own', (type) => {
    expect(validateTasks([task('t', type)])).toEqual([]);
  });
});

describe('runner files stay out of git', () => {
  it('for a plugin sprint directory this tool did not create, keeping a person’s own lines', async () => {
    const id = await pluginSprint();
    await writeFile(join(root, id, '.gitignore'), 'notes/\n');
    const store = new SprintDirectoryStore({ root });
    await new SprintRunner({ store, agents: new AgentRegistry({ default: new NoopAgent() }) }).run(
      id,
    );
    const { readFile } = await import('node:fs/promises');
    const ignore = (await readFile(join(root, id, '.gitignore'), 'utf8')).split('\n');
    expect(ignore[0]).toBe('notes/');
    for (const f of ['events.jsonl', 'state.json', 'runner.lock', '*.tmp-*', '*.foreign-*'])
      expect(ignore).toContain(f);
  });

  it('for a Markdown document: its whole sidecar folder', async () => {
    const docs = join(root, 'docs');
    await mkdir(docs);
    await writeFile(
      join(docs, 'plan.md'),
      '---\ntitle: Plan\nstatus: todo\n---\n\n## Tasks\n\n### Phase 2: Implementation\n- [ ] One <!-- id: one -->\n',
    );
    const { SprintDocumentStore } = await import('./sprint-document-store.js');
    const store = new SprintDocumentStore({ root: docs });
    await new SprintRunner({ store, agents: new AgentRegistry({ default: new NoopAgent() }) }).run(
      'plan',
    );
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(join(docs, '.plan.sprint', '.gitignore'), 'utf8')).toContain('\n*\n');
  });
});
