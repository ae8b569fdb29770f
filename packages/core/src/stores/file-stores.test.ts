import { spawn } from 'node:child_process';
import { appendFileSync, watch } from 'node:fs';
import {
  cp,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { AgentRegistry } from '../agents/agent-registry.js';
import { NoopAgent } from '../agents/builtin-agents.js';
import { InvalidSprintError, SprintFinishedError, SprintLockedError } from '../model/errors.js';
import { SprintRunner } from '../runner/sprint-runner.js';
import { ScriptedAgent } from '../testing/scripted-agent.js';
import { describeOverview, describeSprint } from '../workspace/describe-sprint.js';
import { openSprint } from '../workspace/open-sprint.js';
import { SprintDirectoryStore } from './sprint-directory-store.js';
import { SprintDocumentStore } from './sprint-document-store.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sprint-files-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Every file under `dir` with its bytes and mtime: proof that nothing changed. */
async function snapshotTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[path] = `${(await stat(path)).mtimeMs}:${await readFile(path, 'utf8')}`;
  }
  return out;
}

// A sprint directory as the original plugin's templates wrote it.
const ORIGINAL_SPRINT = `sprint-id: 2026-01-15_auth-hardening
name: auth-hardening
created: 2026-01-15T09:00:00Z
owner: dana
config:
  max-tasks: 10
  time-box: 4h
  auto-commit: true
  context-cache: true
  parallel: false
github:
  repo: acme/web
  milestone: v2.1
  labels: [sprint]
goals:
  - Close the login issues
notes: |
  Keep the session format backwards compatible.
`;

const ORIGINAL_PROGRESS = `sprint-id: 2026-01-15_auth-hardening
status: in-progress
current-task: null
queue:
  - id: implement-issue-42
    type: implement-issue
    issue-number: 42
    repo: acme/web
    priority: high
  - id: refactor-session
    type: refactor
    target-path: src/session
    goal: One session store
    priority: medium
    depends-on: implement-issue-42
  - id: update-docs-auth
    type: update-docs
    doc-path: docs/auth.md
    changes: Document the new flow
    priority: low
  - id: custom-audit
    type: custom
    description: Audit the login rate limits
    done-when: A report in artifacts/
    priority: critical
completed:
  - id: custom-setup
    type: custom
    description: Set up the sprint
    done-when: Directory exists
    priority: medium
    completed-at: 2026-01-15T09:10:00Z
    duration: 5m
    output: Created the sprint directory
blocked: []
stats:
  started-at: 2026-01-15T09:05:00Z
  completed-at: null
  tasks-total: 5
  tasks-completed: 1
  tasks-blocked: 0
`;

async function originalSprint(): Promise<string> {
  const dir = join(root, '2026-01-15_auth-hardening');
  await mkdir(join(dir, 'context'), { recursive: true });
  await writeFile(join(dir, 'SPRINT.yaml'), ORIGINAL_SPRINT);
  await writeFile(join(dir, 'PROGRESS.yaml'), ORIGINAL_PROGRESS);
  await writeFile(join(dir, 'context', '_shared.md'), 'Shared context for every task');
  await writeFile(join(dir, 'context', 'custom-audit.md'), 'Only for the audit');
  return dir;
}

describe('SprintDirectoryStore with real directories', () => {
  it('runs a sprint the original plugin wrote and writes a PROGRESS.yaml its readers understand', async () => {
    const dir = await originalSprint();
    const store = new SprintDirectoryStore({ root });
    const agent = new ScriptedAgent('s', {}, (ctx) => ({
      success: true,
      summary: `did ${ctx.task.id}`,
      deferredItems: [`follow up ${ctx.task.type}`],
    }));
    const result = await new SprintRunner({
      store,
      agents: new AgentRegistry({ default: agent }),
    }).run('2026-01-15_auth-hardening');
    expect(result.status).toBe('completed');
    // The queue as written (as the plugin runs queue[0]), dependencies respected.
    expect(agent.calls.map((c) => c.task.id)).toEqual([
      'implement-issue-42',
      'refactor-session',
      'update-docs-auth',
      'custom-audit',
    ]);
    const audit = agent.calls.find((c) => c.task.id === 'custom-audit')!;
    expect(audit.context).toEqual({
      shared: 'Shared context for every task',
      task: 'Only for the audit',
    });
    expect(audit.task.fields['done-when']).toBe('A report in artifacts/');
    expect(audit.sprint.notes).toContain('backwards compatible');

    const progress = parse(await readFile(join(dir, 'PROGRESS.yaml'), 'utf8'));
    expect(progress.status).toBe('completed');
    expect(progress['current-task']).toBeNull();
    expect(progress.queue).toEqual([]);
    expect(progress.completed.map((t: { id: string }) => t.id)).toEqual([
      'custom-setup',
      'implement-issue-42',
      'refactor-session',
      'update-docs-auth',
      'custom-audit',
    ]);
    const issue = progress.completed.find((t: { id: string }) => t.id === 'implement-issue-42');
    expect(issue).toMatchObject({
      type: 'implement-issue',
      'issue-number': 42,
      repo: 'acme/web',
      summary: 'did implement-issue-42',
    });
    expect(typeof issue['completed-at']).toBe('string');
    expect(typeof issue.elapsed).toBe('string');
    expect(progress.stats).toMatchObject({
      'tasks-total': 5,
      'tasks-completed': 5,
      'tasks-blocked': 0,
    });
    expect(progress['deferred-items']).toEqual([
      'follow up implement-issue',
      'follow up refactor',
      'follow up update-docs',
      'follow up custom',
    ]);
    // SPRINT.yaml is the user's: never rewritten.
    expect(await readFile(join(dir, 'SPRINT.yaml'), 'utf8')).toBe(ORIGINAL_SPRINT);
  });

  it('rejects malformed YAML with the file and line, and touches nothing', async () => {
    const dir = await originalSprint();
    await writeFile(
      join(dir, 'PROGRESS.yaml'),
      ORIGINAL_PROGRESS.replace('  - id: refactor-session', '  - id: [refactor-session'),
    );
    const before = await snapshotTree(root);
    const store = new SprintDirectoryStore({ root });
    const runner = new SprintRunner({
      store,
      agents: new AgentRegistry({ default: new NoopAgent() }),
    });
    const error = await runner.run('2026-01-15_auth-hardening').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidSprintError);
    expect((error as Error).message).toMatch(/PROGRESS\.yaml:\d+/);
    expect(await snapshotTree(root)).toEqual(before);
  });

  it.each([
    [
      'an unknown status',
      (t: string) => t.replace('status: in-progress', 'status: running-ish'),
      /status/,
    ],
    [
      'duplicate task ids',
      (t: string) => t.replace('id: update-docs-auth', 'id: custom-audit'),
      /duplicate task id/,
    ],
    [
      'a dependency on a missing task',
      (t: string) => t.replace('depends-on: implement-issue-42', 'depends-on: implement-issue-99'),
      /implement-issue-99/,
    ],
    [
      'a cycle',
      (t: string) =>
        t.replace('    repo: acme/web\n', '    repo: acme/web\n    depends-on: refactor-session\n'),
      /cycle/,
    ],
    [
      'a misspelt depends-on',
      (t: string) => t.replace('depends-on: implement', 'depends_on: implement'),
      /depends-on/,
    ],
  ])(
    'rejects %s naming the file, the field and the fix, and touches nothing',
    async (_name, edit, pattern) => {
      const dir = await originalSprint();
      await writeFile(join(dir, 'PROGRESS.yaml'), edit(ORIGINAL_PROGRESS));
      const before = await snapshotTree(root);
      const store = new SprintDirectoryStore({ root });
      const error = await new SprintRunner({
        store,
        agents: new AgentRegistry({ default: new NoopAgent() }),
      })
        .run('2026-01-15_auth-hardening')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidSprintError);
      const message = (error as Error).message;
      expect(message).toMatch(pattern);
      expect(message).toContain('PROGRESS.yaml');
      expect(message).toContain('fix:');
      expect(await snapshotTree(root)).toEqual(before);
    },
  );

  it('refuses a completed sprint and one running in another live process, touching nothing', async () => {
    const dir = await originalSprint();
    const store = new SprintDirectoryStore({ root });
    const runner = new SprintRunner({
      store,
      agents: new AgentRegistry({ default: new NoopAgent() }),
    });
    const sleeper = spawn('sleep', ['30']);
    try {
      await writeFile(
        join(dir, 'runner.lock'),
        JSON.stringify({
          pid: sleeper.pid,
          host: hostname(),
          runId: 'other',
          startedAt: '2026-01-15T10:00:00Z',
        }),
      );
      const before = await snapshotTree(root);
      const error = await runner.run('2026-01-15_auth-hardening').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SprintLockedError);
      expect((error as Error).message).toContain(`pid ${sleeper.pid}`);
      expect(await snapshotTree(root)).toEqual(before);
    } finally {
      sleeper.kill('SIGKILL');
    }
    // The holder is gone (once it has exited, not after a guessed delay): its lock is stale and taken over.
    if (sleeper.exitCode === null && sleeper.signalCode === null) {
      await new Promise((r) => sleeper.once('exit', r));
    }
    expect((await runner.run('2026-01-15_auth-hardening')).status).toBe('completed');
    const before = await snapshotTree(root);
    await expect(runner.run('2026-01-15_auth-hardening')).rejects.toBeInstanceOf(
      SprintFinishedError,
    );
    expect(await snapshotTree(root)).toEqual(before);
  });
});

describe('sprint paths as people name them', () => {
  it('opens and runs a sprint whose folder name has spaces and accents, but never a path outside the root', async () => {
    const dir = await originalSprint();
    const spaced = join(root, 'Q3 sprint – café');
    await cp(dir, spaced, { recursive: true });
    const { store, sprintId } = await openSprint(spaced);
    expect(sprintId).toBe('Q3 sprint – café');
    const result = await new SprintRunner({
      store,
      agents: new AgentRegistry({ default: new NoopAgent() }),
    }).run(sprintId);
    expect(result.status).toBe('completed');
    for (const bad of ['..', '.', '../x', 'a/b', 'a\\b', 'a\0b']) {
      await expect(store.load(bad)).rejects.toMatchObject({ code: 'SPRINT_NOT_FOUND' });
    }
  });
});

describe('sprint names', () => {
  it('turns a name into a folder name people can read, and never into a shared fallback', async () => {
    const store = new SprintDirectoryStore({ root });
    const now = new Date('2026-03-01T10:00:00Z');
    expect(await store.create({ name: 'Café été', now })).toBe('2026-03-01_cafe-ete');
    const a = await store.create({ name: '日本語', now });
    const b = await store.create({ name: '中文', now });
    expect(a).toMatch(/^2026-03-01_sprint-[0-9a-f]{8}$/);
    expect(b).not.toBe(a);
  });
});

describe('SprintDirectoryStore locks and outside edits', () => {
  it('reads a fresh clone (no state.json) from its YAML files as it read them before, and writes nothing', async () => {
    const dir = await originalSprint();
    const id = '2026-01-15_auth-hardening';
    const agent = new ScriptedAgent('s', {}, (ctx) => ({
      success: ctx.task.id !== 'custom-audit',
      summary: `did ${ctx.task.id}`,
      costUsd: 0.01,
      tokens: { input: 5, output: 7, cacheRead: 0, cacheCreation: 0 },
      ...(ctx.task.id === 'custom-audit' ? { error: { kind: 'failed', message: 'no' } } : {}),
    }));
    await new SprintRunner({
      store: new SprintDirectoryStore({ root }),
      agents: new AgentRegistry({ default: agent }),
    }).run(id);
    const ran = await new SprintDirectoryStore({ root }).load(id);
    // What git leaves of it: the runner's own files are ignored.
    const ignored = (await readFile(join(dir, '.gitignore'), 'utf8')).split('\n');
    for (const f of await readdir(dir)) {
      if (ignored.includes(f) || f.startsWith('runner.lock'))
        await rm(join(dir, f), { force: true });
    }
    expect(await readdir(dir)).not.toContain('state.json');
    const listing = async () =>
      Promise.all(
        (await readdir(dir)).sort().map(async (f) => [f, (await stat(join(dir, f))).mtimeMs]),
      );
    const before = await listing();
    const store = new SprintDirectoryStore({ root });
    // A status reads the overview first: there is none without state.json.
    expect(await store.loadOverview(id)).toBeUndefined();
    const cloned = await store.load(id);
    expect(cloned.definition).toEqual(ran.definition);
    expect(cloned.state.tasks).toEqual(ran.state.tasks);
    expect(cloned.state.status).toBe(ran.state.status);
    // Nothing written: a runner starting now would take an unsigned state.json for tampering.
    expect(await listing()).toEqual(before);
  });

  it('reads from its JSON snapshot only while the YAML files are the ones it wrote', async () => {
    const dir = await originalSprint();
    const store = new SprintDirectoryStore({ root });
    await new SprintRunner({ store, agents: new AgentRegistry({ default: new NoopAgent() }) }).run(
      '2026-01-15_auth-hardening',
    );
    expect(await readdir(dir)).toContain('state.json');
    // A snapshot someone else changed is not believed...
    const snapText = await readFile(join(dir, 'state.json'), 'utf8');
    await writeFile(
      join(dir, 'state.json'),
      snapText.replace('"name":"auth-hardening"', '"name":"from the snapshot"'),
    );
    expect(
      (await new SprintDirectoryStore({ root }).load('2026-01-15_auth-hardening')).definition.name,
    ).toBe('auth-hardening');
    await writeFile(join(dir, 'state.json'), snapText);
    // ...and a person's edit of PROGRESS.yaml makes the YAML win again.
    const progress = await readFile(join(dir, 'PROGRESS.yaml'), 'utf8');
    await writeFile(
      join(dir, 'PROGRESS.yaml'),
      progress.replace(
        'queue: []',
        'queue:\n  - id: custom-late\n    type: custom\n    description: Added by hand\n    done-when: It is there',
      ),
    );
    const again = await new SprintDirectoryStore({ root }).load('2026-01-15_auth-hardening');
    expect(again.definition.name).toBe('auth-hardening');
    expect(again.definition.tasks.map((t) => t.id)).toContain('custom-late');
  });

  it('holds a task description once, and no state for tasks not started, in its JSON snapshot, and reads the same sprint back', async () => {
    const store = new SprintDirectoryStore({ root });
    const description = `Long description ${'x'.repeat(5000)}`;
    const id = await store.create({
      name: 'once',
      tasks: [
        {
          id: 'from-file',
          type: 'custom',
          priority: 'medium',
          dependsOn: [],
          fields: { id: 'from-file', type: 'custom', description, 'done-when': 'x' },
          description,
        },
        // Made in code: no fields, so the description is its own.
        { id: 'in-code', type: 'x', priority: 'high', dependsOn: [], fields: {}, description },
      ],
    });
    const snapText = await readFile(join(root, id, 'state.json'), 'utf8');
    expect(snapText.split(description).length - 1).toBe(2);
    expect(JSON.parse(snapText).state.tasks).toEqual({});
    const { parseSprintDirectory } = await import('./directory/index.js');
    const fromYaml = parseSprintDirectory({
      dirName: id,
      sprintYaml: await readFile(join(root, id, 'SPRINT.yaml'), 'utf8'),
      sprintYamlPath: 'SPRINT.yaml',
      progressYaml: await readFile(join(root, id, 'PROGRESS.yaml'), 'utf8'),
      progressYamlPath: 'PROGRESS.yaml',
    });
    const loaded = await new SprintDirectoryStore({ root }).load(id);
    expect(loaded.definition.tasks[0]).toEqual(fromYaml.definition.tasks[0]);
    expect(loaded.definition.tasks[1]).toMatchObject({ id: 'in-code', description });
    expect(loaded.state.tasks).toEqual(fromYaml.state.tasks);
    expect(Object.keys(loaded.state.tasks)).toEqual(['from-file', 'in-code']);
  });

  it("holds in a new sprint's snapshot what its files parse to: a load through it equals one without it", async () => {
    const store = new SprintDirectoryStore({ root });
    const id = await store.create({
      name: 'fresh',
      goals: ['Ship it'],
      notes: 'By the book',
      owner: 'ana',
      config: { 'time-box': '2h' },
      tasks: [
        { id: 'in-code', type: 'x', priority: 'high', dependsOn: [], fields: {}, description: 'd' },
      ],
    });
    const snapshot = join(root, id, 'state.json');
    const snapText = await readFile(snapshot, 'utf8');
    const fast = await new SprintDirectoryStore({ root }).load(id);
    await rm(snapshot);
    const parsed = await new SprintDirectoryStore({ root }).load(id);
    expect(fast.definition).toEqual(parsed.definition);
    expect(fast.state).toEqual(parsed.state);
    // SPRINT.yaml's defaults, which the runner enforces (max-tasks: a run of 12 tasks stops at 10).
    expect(fast.definition.config).toMatchObject({ maxTasks: 10, timeBox: '2h' });

    // A snapshot an earlier version wrote at creation, without those defaults, is not believed.
    const old = JSON.parse(snapText);
    old.version = 3;
    old.definition.config = { autoCommit: true, agents: {} };
    await writeFile(snapshot, JSON.stringify(old));
    const upgraded = await new SprintDirectoryStore({ root }).load(id);
    expect(upgraded.definition).toEqual(parsed.definition);
  });

  it("answers status from state.json's overview exactly as a full load would, and only while it is current", async () => {
    const store = new SprintDirectoryStore({ root });
    const task = (id: string) => ({
      id,
      type: 'custom',
      priority: 'medium' as const,
      dependsOn: [],
      fields: { description: `do ${id}`, 'done-when': 'x' },
      description: `do ${id}`,
    });
    const id = await store.create({ name: 'overview', tasks: [task('a'), task('b'), task('c')] });
    const now = Date.parse('2030-01-01T00:00:00Z');
    const brief = async (s: SprintDirectoryStore) => {
      const overview = await s.loadOverview(id);
      return overview && describeOverview(overview, null, now);
    };
    const full = async (s: SprintDirectoryStore) => {
      const { tasks: _, ...rest } = describeSprint(await s.load(id), null, now);
      return rest;
    };
    expect(await brief(store)).toEqual(await full(store));

    const agent = new ScriptedAgent('s', { b: { success: false, summary: 'cannot' } }, (ctx) => ({
      success: true,
      summary: `did ${ctx.task.id}`,
      deferredItems: [`follow up ${ctx.task.id}`],
    }));
    await new SprintRunner({ store, agents: new AgentRegistry({ default: agent }) }).run(id);
    const after = await full(new SprintDirectoryStore({ root }));
    expect(after.counts.done).toBeGreaterThan(0);
    expect(await brief(new SprintDirectoryStore({ root }))).toEqual(after);

    // A copy (new inodes, same bytes) keeps the fast path: the check is by content.
    const copyRoot = join(root, 'copy');
    await cp(join(root, id), join(copyRoot, id), { recursive: true });
    const copied = new SprintDirectoryStore({ root: copyRoot });
    expect(await brief(copied)).toEqual(await full(copied));
    expect(await copied.loadOverview(id)).toBeDefined();
    // A copy under another name is that sprint, fast path or not.
    await cp(join(root, id), join(copyRoot, 'renamed'), { recursive: true });
    expect((await copied.loadOverview('renamed'))?.id).toBe('renamed');
    expect((await copied.load('renamed')).definition.id).toBe('renamed');

    // Anything past the checkpoint in the log, or a person's edit, sends status to a full load.
    const log = join(root, id, 'events.jsonl');
    const logText = await readFile(log, 'utf8');
    await writeFile(log, `${logText}{"junk":1}\n`);
    expect(await new SprintDirectoryStore({ root }).loadOverview(id)).toBeUndefined();
    await writeFile(log, logText);
    expect(await new SprintDirectoryStore({ root }).loadOverview(id)).toBeDefined();
    const progress = join(root, id, 'PROGRESS.yaml');
    await writeFile(progress, `${await readFile(progress, 'utf8')}# a note\n`);
    expect(await new SprintDirectoryStore({ root }).loadOverview(id)).toBeUndefined();
  });

  it('takes over a lock file left empty by a crash', async () => {
    const dir = await originalSprint();
    await writeFile(join(dir, 'runner.lock'), '');
    const old = new Date(Date.now() - 60_000);
    await utimes(join(dir, 'runner.lock'), old, old);
    const store = new SprintDirectoryStore({ root });
    const result = await new SprintRunner({
      store,
      agents: new AgentRegistry({ default: new NoopAgent() }),
    }).run('2026-01-15_auth-hardening');
    expect(result.status).toBe('completed');
    expect(await readdir(dir)).not.toContain('runner.lock');
  });

  it('keeps an edit of PROGRESS.yaml made during a run beside the log, as foreign, instead of losing it', async () => {
    const dir = await originalSprint();
    const store = new SprintDirectoryStore({ root });
    const edited = '# my notes\n';
    const agent = new ScriptedAgent('s', {}, async (ctx) => {
      if (ctx.task.id === 'custom-audit') {
        await writeFile(
          join(dir, 'PROGRESS.yaml'),
          edited + (await readFile(join(dir, 'PROGRESS.yaml'), 'utf8')),
        );
      }
      return { success: true };
    });
    await new SprintRunner({ store, agents: new AgentRegistry({ default: agent }) }).run(
      '2026-01-15_auth-hardening',
    );
    const backups = (await readdir(dir)).filter((f) => f.startsWith('PROGRESS.yaml.foreign-'));
    expect(backups).toHaveLength(1);
    expect(await readFile(join(dir, backups[0]!), 'utf8')).toContain('# my notes');
    const { state } = await store.load('2026-01-15_auth-hardening');
    // Checked at each checkpoint: it names every task that ran since the one before.
    expect(state.tampering?.[0]?.file).toBe('PROGRESS.yaml');
    expect(state.tampering?.[0]?.taskIds).toContain('custom-audit');
  });
  it('logs a foreign PROGRESS.yaml before the checkpoint overwrites it: a crash in between loses no finding', async () => {
    const dir = await originalSprint();
    // Each checkpoint that overwrites the foreign file: did the state it signs already know?
    const overwrites: boolean[] = [];
    class Watched extends SprintDirectoryStore {
      protected override async writeCheckpoint(
        ...args: Parameters<SprintDirectoryStore['writeCheckpoint']>
      ): Promise<void> {
        const disk = await readFile(join(dir, 'PROGRESS.yaml'), 'utf8');
        if (disk.startsWith('# my notes'))
          overwrites.push(args[3].tampering?.some((t) => t.file === 'PROGRESS.yaml') ?? false);
        return super.writeCheckpoint(...args);
      }
    }
    const store = new Watched({ root });
    const agent = new ScriptedAgent('s', {}, async (ctx) => {
      if (ctx.task.id === 'custom-audit') {
        await writeFile(
          join(dir, 'PROGRESS.yaml'),
          `# my notes\n${await readFile(join(dir, 'PROGRESS.yaml'), 'utf8')}`,
        );
      }
      return { success: true };
    });
    await new SprintRunner({ store, agents: new AgentRegistry({ default: agent }) }).run(
      '2026-01-15_auth-hardening',
    );
    expect(overwrites).toEqual([true]);
  });

  it('finds a foreign write that lands the moment the checkpoint renames PROGRESS.yaml into place', async () => {
    const dir = await originalSprint();
    const store = new SprintDirectoryStore({ root });
    let wrote = false;
    // inotify reports the rename before the writer's own code runs again: the foreign
    // write lands between the rename and anything the writer does next.
    const watcher = watch(dir, (_event, name) => {
      if (name !== 'PROGRESS.yaml' || wrote) return;
      wrote = true;
      appendFileSync(join(dir, 'PROGRESS.yaml'), '# written right after the rename\n');
    });
    try {
      await new SprintRunner({
        store,
        agents: new AgentRegistry({ default: new NoopAgent() }),
      }).run('2026-01-15_auth-hardening');
    } finally {
      watcher.close();
    }
    expect(wrote).toBe(true);
    const { state } = await store.load('2026-01-15_auth-hardening');
    expect(state.tampering?.map((t) => t.file)).toContain('PROGRESS.yaml');
  });
});

describe('SprintDocumentStore with a real document', () => {
  const SEED = join(import.meta.dirname, 'document', 'fixtures', 'sprint-08_core-sprint-runner.md');

  it('runs the document to completion: boxes ticked, front matter current, deferred items appended, nothing else changed', async () => {
    const folder = join(root, 'sprint-08_core-sprint-runner');
    await mkdir(folder);
    await cp(SEED, join(folder, 'sprint-08_core-sprint-runner.md'));
    const original = await readFile(SEED, 'utf8');
    const store = new SprintDocumentStore({ root });
    const agent = new ScriptedAgent('s', {}, (ctx) => ({
      success: true,
      summary: `did ${ctx.task.id}`,
      deferredItems: ctx.task.type === 'validate' ? ['Flaky test quarantine'] : [],
    }));
    const registry = new AgentRegistry({ default: agent });
    const result = await new SprintRunner({ store, agents: registry }).run(
      'sprint-08_core-sprint-runner',
    );
    expect(result.status).toBe('completed');
    expect(result.stepsCompleted).toBe(8);
    expect(new Set(agent.calls.map((c) => c.task.type))).toEqual(
      new Set(['planning', 'implement', 'validate']),
    );

    const after = await readFile(join(folder, 'sprint-08_core-sprint-runner.md'), 'utf8');
    const a = original.split('\n');
    const b = after.split('\n');
    const changed = b.filter((line, i) => line !== a[i] && i < a.length);
    // Only the 8 step boxes and the 4 front matter keys changed in place...
    expect(changed.filter((l) => l.startsWith('- [x]'))).toHaveLength(8);
    expect(changed.filter((l) => /^(status|started|completed|hours):/.test(l))).toHaveLength(4);
    // ...and one deferred item was appended at the end of its section (the last one in the file).
    expect(
      changed.filter(
        (l) => !l.startsWith('- [x]') && !/^(status|started|completed|hours):/.test(l),
      ),
    ).toEqual(['- Flaky test quarantine']);
    expect(b.slice(0, a.length - 1).filter((l, i) => l !== a[i])).toHaveLength(12);
    expect(after).toMatch(/^status: done$/m);
    expect(after).toMatch(/^hours: \d/m);
    // Acceptance criteria are not steps: still unticked.
    expect(after).toContain('- [ ] Runs a sprint from start to completion with mock agents');
  });
});
