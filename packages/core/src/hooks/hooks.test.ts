import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentRegistry } from '../agents/agent-registry.js';
import { ShellAgent } from '../agents/builtin-agents.js';
import type { Task } from '../model/sprint.js';
import { SprintRunner } from '../runner/sprint-runner.js';
import { SprintDirectoryStore } from '../stores/sprint-directory-store.js';
import { defaultHooks } from '../workspace/agent-setup.js';

let project: string;
const git = (...args: string[]) =>
  execFileSync('git', args, { cwd: project, encoding: 'utf8' }).trim();

beforeEach(async () => {
  project = await mkdtemp(join(tmpdir(), 'sprint-project-'));
});
afterEach(async () => {
  await rm(project, { recursive: true, force: true });
});

async function sprintIn(tasks: Partial<Task>[], config?: Record<string, unknown>, name = 'hooks') {
  const store = new SprintDirectoryStore({ root: join(project, '.claude', 'sprints') });
  const id = await store.create({
    name,
    config,
    tasks: tasks.map(
      (t) => ({ type: 'shell', priority: 'medium', dependsOn: [], fields: {}, ...t }) as Task,
    ),
  });
  const snapshot = await store.load(id);
  const runner = new SprintRunner({
    store,
    agents: new AgentRegistry({ default: new ShellAgent() }),
    hooks: defaultHooks(snapshot.definition.config),
  });
  return { store, id, runner };
}

describe('verify hook', () => {
  it('passes a task whose verify command exits 0, and fails one that exits non-zero with its output tail', async () => {
    const { runner, store, id } = await sprintIn([
      { id: 'good', command: 'echo ok > good.txt', verify: 'test -f good.txt' },
      { id: 'bad', command: 'echo hi', verify: 'echo "expected 3 tests, got 2" >&2; exit 1' },
    ]);
    const result = await runner.run(id, { retry: { maxAttempts: 1 } });
    expect(result.status).toBe('blocked');
    const { state } = await store.load(id);
    expect(state.tasks.good?.status).toBe('done');
    expect(state.tasks.bad?.status).toBe('blocked');
    const error = state.tasks.bad?.attempts[0]?.error;
    expect(error?.kind).toBe('verify');
    expect(error?.message).toContain('exited with code 1');
    expect(error?.message).toContain('expected 3 tests, got 2');
  });

  it('runs in the project directory (the folder that holds .claude/)', async () => {
    const { runner, id } = await sprintIn([
      { id: 'a', command: 'pwd > where.txt', verify: 'test -f where.txt' },
    ]);
    expect((await runner.run(id)).status).toBe('completed');
    expect((await readFile(join(project, 'where.txt'), 'utf8')).trim()).toBe(project);
  });
});

describe('git-commit hook', () => {
  function initRepo() {
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 'dev@example.com');
    git('config', 'user.name', 'Dev');
    execFileSync('sh', ['-c', 'echo base > base.txt && git add -A && git commit -qm base'], {
      cwd: project,
    });
  }

  it('commits each completed task with a message naming sprint and task, leaving the sprint files out', async () => {
    initRepo();
    const { runner, id } = await sprintIn([
      { id: 'one', title: 'Write one', command: 'echo 1 > one.txt' },
      { id: 'two', title: 'Write two', command: 'echo 2 > two.txt', dependsOn: ['one'] },
      { id: 'nothing', command: 'true', dependsOn: ['two'] },
    ]);
    expect((await runner.run(id)).status).toBe('completed');
    const log = git('log', '--format=%s', '-n', '3').split('\n');
    expect(log).toEqual([`sprint(${id}): two: Write two`, `sprint(${id}): one: Write one`, 'base']);
    expect(git('show', '--name-only', '--format=', 'HEAD~1')).toBe('one.txt');
    expect(git('show', '--name-only', '--format=', 'HEAD')).toBe('two.txt');
    expect(git('log', '-1', '--format=%an <%ae>')).toBe('Dev <dev@example.com>');
  });

  it('asks git what changed only when a run starts when tasks run back to back, and afresh in the next run', async () => {
    initRepo();
    const { runner, id } = await sprintIn([
      { id: 'one', command: 'echo 1 > one.txt' },
      { id: 'two', command: 'echo 2 > two.txt', dependsOn: ['one'] },
      { id: 'three', command: 'echo 3 > three.txt', dependsOn: ['two'] },
      { id: 'four', command: 'echo 4 > four.txt', dependsOn: ['three'] },
    ]);
    const trace = join(project, '..', `${project.split('/').pop()}-git-trace.log`);
    process.env.GIT_TRACE = trace;
    try {
      await runner.run(id, { maxIterations: 3 });
    } finally {
      delete process.env.GIT_TRACE;
    }
    const statuses = (await readFile(trace, 'utf8'))
      .split('\n')
      .filter((l) => / trace: built-in: git status /.test(l));
    await rm(trace, { force: true });
    // Before the first task only: a task alone in the tree commits all but what it found
    // dirty, and the next starts from what that commit left.
    expect(statuses).toHaveLength(1);
    expect(git('log', '--format=%s', '-n', '1')).toContain('three');
    // The next run starts later: a person's edit meanwhile is theirs, not the task's.
    await writeFile(join(project, 'base.txt'), 'my edit between runs\n');
    expect((await runner.run(id)).status).toBe('completed');
    expect(git('show', '--name-only', '--format=', 'HEAD')).toBe('four.txt');
    expect(git('status', '--porcelain', '--', 'base.txt')).toBe('M base.txt');
  });

  it('finds nothing to commit, not a failure, in a repository that tracks no file yet', async () => {
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 'dev@example.com');
    git('config', 'user.name', 'Dev');
    git('commit', '-q', '--allow-empty', '-m', 'empty');
    const { runner, id, store } = await sprintIn([
      { id: 'nothing', command: 'true' },
      { id: 'one', command: 'echo 1 > one.txt', dependsOn: ['nothing'] },
    ]);
    expect((await runner.run(id)).status).toBe('completed');
    const hooks = (await store.readEvents(id)).flatMap((e) =>
      e.type === 'hook' && e.hook === 'git-commit' ? [`${e.taskId}: ${e.passed} ${e.message}`] : [],
    );
    expect(hooks[0]).toBe('nothing: true nothing to commit');
    expect(hooks[1]).toMatch(/^one: true committed /);
    expect(git('show', '--name-only', '--format=', 'HEAD')).toBe('one.txt');
  });

  it('does not commit when auto-commit is off or the project is not a git repository', async () => {
    const plain = await sprintIn([{ id: 'a', command: 'echo a > a.txt' }]);
    expect((await plain.runner.run(plain.id)).status).toBe('completed');
    initRepo();
    const off = await sprintIn(
      [{ id: 'b', command: 'echo b > b.txt' }],
      { 'auto-commit': false },
      'off',
    );
    await writeFile(join(project, '.gitignore'), '.claude/\n');
    expect((await off.runner.run(off.id)).status).toBe('completed');
    expect(git('log', '--format=%s')).toBe('base');
    expect(git('status', '--porcelain')).toContain('b.txt');
  });
});

describe('git-commit hook and work in progress', () => {
  it("leaves a person's uncommitted and staged work out of the task's commit", async () => {
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 'dev@example.com');
    git('config', 'user.name', 'Dev');
    execFileSync(
      'sh',
      ['-c', 'echo base > base.txt && echo v1 > notes.txt && git add -A && git commit -qm base'],
      {
        cwd: project,
      },
    );
    // Work in progress before the run: an edit, a staged file and an untracked one.
    await writeFile(join(project, 'notes.txt'), 'v2, not ready\n');
    await writeFile(join(project, 'staged.txt'), 'staged by me\n');
    git('add', 'staged.txt');
    await writeFile(join(project, 'scratch.txt'), 'mine\n');
    const { runner, id } = await sprintIn(
      [{ id: 'work', title: 'Do the work', command: 'echo done > result.txt' }],
      undefined,
      'wip',
    );
    expect((await runner.run(id)).status).toBe('completed');
    expect(git('show', '--name-only', '--format=', 'HEAD')).toBe('result.txt');
    const status = git('status', '--porcelain');
    expect(status).toMatch(/^ ?M notes\.txt$/m);
    expect(status).toContain('A  staged.txt');
    expect(status).toContain('?? scratch.txt');
  });
});

describe('git-commit hook: commits that land', () => {
  function initRepo() {
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 'dev@example.com');
    git('config', 'user.name', 'Dev');
    execFileSync('sh', ['-c', 'echo base > base.txt && git add -A && git commit -qm base'], {
      cwd: project,
    });
  }

  it("never commits a runner file's temporary copy", async () => {
    initRepo();
    const { runner, id, store } = await sprintIn(
      [{ id: 'a', command: 'echo a > a.txt' }],
      {},
      'tmp',
    );
    const { sprintDir } = await store.load(id);
    // What an atomic write leaves for a moment (or for good, after kill -9).
    await writeFile(join(sprintDir!, 'PROGRESS.yaml.tmp-4242-deadbeef'), 'half a file');
    await writeFile(join(sprintDir!, 'state.json.tmp-4242-deadbeef'), '{');
    // A live writer's copy (ours) must stay out of the commit too, and stay on disk.
    const live = join(sprintDir!, `PROGRESS.yaml.tmp-${process.pid}-0badf00d`);
    await writeFile(live, 'being written');
    expect((await runner.run(id)).status).toBe('completed');
    expect(git('show', '--name-only', '--format=', 'HEAD')).toBe('a.txt');
    expect(await readFile(live, 'utf8')).toBe('being written');
  });

  it('commits and reports success when git add warns before naming the ignored runner files', async () => {
    initRepo();
    // autocrlf warns about each LF file before git add lists the ignored paths it was given.
    git('config', 'core.autocrlf', 'true');
    await writeFile(join(project, '.gitignore'), '.claude/\n');
    git('add', '.gitignore');
    git('commit', '-qm', 'ignore the sprint');
    const { runner, id } = await sprintIn([{ id: 'a', command: 'echo a > a.txt' }], {}, 'crlf');
    const result = await runner.run(id);
    expect(result.status).toBe('completed');
    expect(result.commitFailures).toBeUndefined();
    expect(git('show', '--name-only', '--format=', 'HEAD')).toBe('a.txt');
  });

  it("commits a task's edit, deletion and new file together, and nothing a person staged", async () => {
    initRepo();
    execFileSync('sh', ['-c', 'echo old > gone.txt && git add -A && git commit -qm more'], {
      cwd: project,
    });
    await writeFile(join(project, 'mine.txt'), 'staged by me\n');
    git('add', 'mine.txt');
    const { runner, id } = await sprintIn(
      [{ id: 'a', command: 'echo edited > base.txt; rm gone.txt; echo new > new.txt' }],
      {},
      'mixed',
    );
    expect((await runner.run(id)).status).toBe('completed');
    expect(git('show', '--name-status', '--format=', 'HEAD').split('\n').sort()).toEqual([
      'A\tnew.txt',
      'D\tgone.txt',
      'M\tbase.txt',
    ]);
    expect(git('show', 'HEAD:base.txt')).toBe('edited');
    // Nothing of the task's left over; the person's staged file still staged, not committed.
    expect(git('status', '--porcelain', '--', '.', ':!.claude')).toBe('A  mine.txt');
  });

  it('waits for a .git/index.lock another process holds, and commits', async () => {
    initRepo();
    const { runner, id } = await sprintIn(
      [
        {
          id: 'a',
          // Another git process holds the index while the task ends, and lets go a little later.
          command: 'echo a > a.txt; touch .git/index.lock; (sleep 0.3; rm -f .git/index.lock) &',
        },
      ],
      {},
      'locked',
    );
    const result = await runner.run(id);
    expect(result.status).toBe('completed');
    expect(result.commitFailures).toBeUndefined();
    expect(git('show', '--name-only', '--format=', 'HEAD')).toBe('a.txt');
  });

  it('lands every commit when three tasks finish at once (no index.lock collision)', async () => {
    initRepo();
    const tasks = ['a', 'b', 'c'].map((id) => ({
      id,
      // All three end together: each waits until the other two have started.
      command: `touch started-${id}; while [ $(ls started-* | wc -l) -lt 3 ]; do sleep 0.01; done; echo ${id} > ${id}.txt`,
    }));
    // One shared working tree on purpose (auto would give each task its own worktree).
    const { runner, id } = await sprintIn(tasks, { concurrency: 3, isolation: 'shared' }, 'three');
    const result = await runner.run(id);
    expect(result.status).toBe('completed');
    expect(result.commitFailures, JSON.stringify(result.commitFailures)).toBeUndefined();
    // The tasks share one working tree: a commit may hold a sibling's files, but none is lost.
    const committed = git('log', '--name-only', '--format=').split('\n').filter(Boolean);
    for (const f of ['a.txt', 'b.txt', 'c.txt']) expect(committed).toContain(f);
    expect(git('status', '--porcelain', '--', 'a.txt', 'b.txt', 'c.txt')).toBe('');
  });

  it("keeps a failed parallel attempt's changes out of another task's commit, and names them", async () => {
    initRepo();
    // Both tasks share the working tree and overlap: bad writes its file while good runs, then fails.
    // They meet through files in .git/, which git status never reports.
    const { runner, id, store } = await sprintIn(
      [
        {
          id: 'good',
          command:
            // Writes its own file once bad's attempt is over (logged as finished).
            'touch .git/started-good; until grep -Eqs \'"task-finished".*"bad"|"bad".*"task-finished"\' $(find .claude -name events.jsonl); do sleep 0.01; done; echo good > good.txt',
        },
        {
          id: 'bad',
          command:
            'while [ ! -f .git/started-good ]; do sleep 0.01; done; echo half-done > bad.txt; exit 1',
        },
      ],
      { concurrency: 2, isolation: 'shared' },
      'leak',
    );
    const result = await runner.run(id, { retry: { maxAttempts: 1 } });
    const { state } = await store.load(id);
    expect(state.tasks.good?.status).toBe('done');
    expect(state.tasks.bad?.status).toBe('blocked');
    expect(result.commitFailures).toBeUndefined();
    const committed = git('log', '--name-only', '--format=').split('\n').filter(Boolean);
    expect(committed).toContain('good.txt');
    expect(committed).not.toContain('bad.txt');
    expect(git('status', '--porcelain', '--', 'bad.txt')).toBe('?? bad.txt');
    const events = await store.readEvents(id);
    const commitEvent = events.find(
      (e) => e.type === 'hook' && e.hook === 'git-commit' && e.taskId === 'good',
    );
    expect(commitEvent).toMatchObject({ passed: true });
    expect((commitEvent as { message?: string }).message).toMatch(/left uncommitted.*bad\.txt/);
  });

  it('shows a commit that still fails: a failed hook event, the attempt and the run result', async () => {
    initRepo();
    // A reference-transaction hook runs even with --no-verify: it refuses every ref update.
    await writeFile(
      join(project, '.git', 'hooks', 'reference-transaction'),
      '#!/bin/sh\n[ "$1" = prepared ] && exit 1\nexit 0\n',
      { mode: 0o755 },
    );
    const { runner, id, store } = await sprintIn(
      [{ id: 'a', command: 'echo a > a.txt' }],
      {},
      'refused',
    );
    const result = await runner.run(id);
    expect(result.status).toBe('completed');
    expect(result.commitFailures).toEqual([
      { taskId: 'a', attempt: 1, message: expect.stringMatching(/^git commit failed/) },
    ]);
    const { state } = await store.load(id);
    expect(state.tasks.a?.attempts[0]?.commitError).toMatch(/^git commit failed/);
    const events = await store.readEvents(id);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'hook', hook: 'git-commit', taskId: 'a', passed: false }),
    );
  });
});
