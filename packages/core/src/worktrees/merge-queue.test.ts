import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MergeQueue } from './merge-queue.js';
import { commitTask } from './task-commit.js';
import { locateGitProject, type TaskWorktree, WorktreeManager } from './worktree-manager.js';

let project: string;
let manager: WorktreeManager;
let queue: MergeQueue;
const git = (...args: string[]) =>
  execFileSync('git', args, { cwd: project, encoding: 'utf8' }).trim();

beforeEach(async () => {
  project = await mkdtemp(join(tmpdir(), 'sprint-merge-queue-'));
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Test User');
  git('config', 'user.email', 'user@example.com');
  await writeFile(join(project, 'readme.txt'), 'hello\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
  manager = new WorktreeManager({ project: (await locateGitProject(project))!, sprintId: 's1' });
  queue = new MergeQueue({ manager, sprintId: 's1', target: 'main' });
});
afterEach(async () => {
  await manager.clean();
  await rm(project, { recursive: true, force: true });
});

/** A task's worktree at `base` (default: main's head) with its file (default: a new one) committed as its work. */
async function task(id: string, base = git('rev-parse', 'main'), file = `${id}.txt`) {
  const wt: TaskWorktree = await manager.create(id, 1, base);
  await writeFile(join(wt.path, file), `${id}\n`);
  const info = {
    sprintId: 's1',
    sprintName: 'one',
    taskId: id,
    taskType: 'x',
    label: id,
    summary: '',
  };
  const committed = (await commitTask(wt, info, []))!;
  return { wt, taskId: id, commit: committed.commit, committed };
}

/** The user commits a file in their checkout (main checked out), behind the queue's back. */
async function userCommits(name: string) {
  await writeFile(join(project, name), 'the user’s\n');
  git('add', name);
  git('commit', '-q', '-m', `user: ${name}`);
}

async function expectLanded(files: string[]) {
  for (const f of files) expect(await readFile(join(project, f), 'utf8'), f).toBeTruthy();
  expect(git('ls-tree', '--name-only', 'main').split('\n').sort()).toEqual(files.sort());
  expect(git('status', '--porcelain', '--untracked-files=no')).toBe('');
}

describe('the merge queue onto a head that moves', { timeout: 60_000 }, () => {
  it('fast-forwards a task made on the head, and merges one made before the head moved', async () => {
    const base = git('rev-parse', 'main');
    const a = await task('a');
    const b = await task('b', base);
    const first = await queue.integrate(a);
    expect(first).toMatchObject({ kind: 'integrated', commit: a.commit, previous: base });
    const second = await queue.integrate(b);
    expect(second.kind).toBe('integrated');
    const merged = second.kind === 'integrated' ? second.commit : '';
    expect(git('log', '-1', '--format=%P', merged)).toBe(a.commit);
    expect(git('log', '-1', '--format=%B', merged)).toContain('Sprint-Task: s1/b');
    await expectLanded(['readme.txt', 'a.txt', 'b.txt']);
  });

  it('merges onto a commit the user made since the last integration, not onto the head it last saw', async () => {
    const base = git('rev-parse', 'main');
    const a = await task('a');
    const b = await task('b', base);
    await queue.integrate(a);
    await userCommits('mine.txt');
    const user = git('rev-parse', 'main');
    const out = await queue.integrate(b);
    expect(out).toMatchObject({ kind: 'integrated', previous: user });
    expect(git('log', '-1', '--format=%P', 'main')).toBe(user);
    await expectLanded(['readme.txt', 'a.txt', 'mine.txt', 'b.txt']);
  });

  it('merges, never fast-forwards, a task made on the head when the user committed after it started', async () => {
    const a = await task('a');
    await queue.integrate(a);
    const c = await task('c'); // on the head the queue just made
    await userCommits('mine.txt');
    const user = git('rev-parse', 'main');
    const out = await queue.integrate(c);
    expect(out).toMatchObject({ kind: 'integrated', previous: user });
    expect(out.kind === 'integrated' && out.commit).not.toBe(c.commit);
    expect(git('log', '-1', '--format=%P', 'main')).toBe(user);
    await expectLanded(['readme.txt', 'a.txt', 'mine.txt', 'c.txt']);
  });

  it('asks git where the head is when the branch is packed (no loose ref file to read)', async () => {
    const base = git('rev-parse', 'main');
    const a = await task('a');
    const b = await task('b', base);
    await queue.integrate(a);
    await userCommits('mine.txt');
    git('pack-refs', '--all');
    const user = git('rev-parse', 'main');
    expect(await queue.integrate(b)).toMatchObject({ kind: 'integrated', previous: user });
    await expectLanded(['readme.txt', 'a.txt', 'mine.txt', 'b.txt']);
  });

  it('integrates a commit it is told nothing about (a dead attempt’s) the same way', async () => {
    const base = git('rev-parse', 'main');
    const a = await task('a');
    const b = await task('b', base);
    await queue.integrate({ wt: a.wt, taskId: 'a', commit: a.commit });
    const out = await queue.integrate({ wt: b.wt, taskId: 'b', commit: b.commit });
    expect(out.kind).toBe('integrated');
    expect(git('log', '-1', '--format=%B', 'main')).toContain('Sprint-Task: s1/b');
    await expectLanded(['readme.txt', 'a.txt', 'b.txt']);
  });

  it('integrates tasks waiting together in one step, each its own commit on the one before, in order', async () => {
    const base = git('rev-parse', 'main');
    const [a, b, c] = [await task('a'), await task('b', base), await task('c', base)];
    const outs = await Promise.all([a, b, c].map((t) => queue.integrate(t)));
    expect(outs.map((o) => o.kind)).toEqual(['integrated', 'integrated', 'integrated']);
    const commits = outs.map((o) => (o.kind === 'integrated' ? o.commit : ''));
    expect(git('log', '--format=%H', `${base}..main`).split('\n').reverse()).toEqual(commits);
    expect(commits[0]).toBe(a.commit); // made on the head: taken as it is
    for (const [i, t] of ['a', 'b', 'c'].entries())
      expect(git('log', '-1', '--format=%B', commits[i]!)).toContain(`Sprint-Task: s1/${t}`);
    // The branch moved once, to the last.
    expect(git('reflog', '--format=%gs', 'main').split('\n')[0]).toBe('sprint: integrate a, b, c');
    await expectLanded(['readme.txt', 'a.txt', 'b.txt', 'c.txt']);
  });

  it('integrates those before a conflicting task together, then it alone (its conflict), then the rest', async () => {
    const base = git('rev-parse', 'main');
    const a = await task('a', base, 'readme.txt');
    const b = await task('b', base, 'readme.txt'); // the same line as a
    const c = await task('c', base);
    const d = await task('d', base);
    const outs = await Promise.all([a, b, c, d].map((t) => queue.integrate(t)));
    expect(outs.map((o) => o.kind)).toEqual(['integrated', 'conflict', 'integrated', 'integrated']);
    expect(outs[1]!.kind === 'conflict' && outs[1]!.report.files.map((f) => f.path)).toEqual([
      'readme.txt',
    ]);
    expect(git('reflog', '--format=%gs', 'main').split('\n').slice(0, 2)).toEqual([
      'sprint: integrate c, d',
      'sprint: integrate a',
    ]);
    expect(await readFile(join(project, 'readme.txt'), 'utf8')).toBe('a\n');
    await expectLanded(['readme.txt', 'c.txt', 'd.txt']);
  });

  it('lets the tasks behind an integration that waits for the user’s files go first, then integrates it once they are put back', async () => {
    await writeFile(join(project, 'shared.txt'), 'one\n');
    git('add', '-A');
    git('commit', '-q', '-m', 'shared');
    const stages: string[] = [];
    queue = new MergeQueue({
      manager,
      sprintId: 's1',
      target: 'main',
      pollMs: 20,
      onEvent: (e) => stages.push(`${e.taskId} ${e.stage}`),
    });
    const base = git('rev-parse', 'main');
    const a = await task('a', base, 'shared.txt');
    const b = await task('b', base);
    // The user's own edit of the file a changes, not committed.
    await writeFile(join(project, 'shared.txt'), 'the user’s edit\n');
    const first = queue.integrate(a);
    const second = await queue.integrate(b);
    expect(second.kind).toBe('integrated');
    expect(stages).toContain('a waiting-for-user');
    expect(git('log', '-1', '--format=%B', 'main')).toContain('Sprint-Task: s1/b');
    expect(await readFile(join(project, 'shared.txt'), 'utf8')).toBe('the user’s edit\n');
    git('checkout', '--', 'shared.txt');
    expect((await first).kind).toBe('integrated');
    expect(git('log', '-1', '--format=%B', 'main')).toContain('Sprint-Task: s1/a');
    await expectLanded(['readme.txt', 'shared.txt', 'b.txt']);
  });

  it('integrates a task with a verify alone, running it on the integrated tree', async () => {
    const base = git('rev-parse', 'main');
    const a = await task('a', base);
    const b = await task('b', base);
    const outs = await Promise.all([
      queue.integrate(a),
      queue.integrate({ ...b, verify: 'test -f a.txt && test -f b.txt' }),
    ]);
    expect(outs.map((o) => o.kind)).toEqual(['integrated', 'integrated']);
    expect(git('reflog', '--format=%gs', 'main').split('\n').slice(0, 2)).toEqual([
      'sprint: integrate b',
      'sprint: integrate a',
    ]);
  });
});
