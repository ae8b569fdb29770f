import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitTask, type TaskCommitInfo } from './task-commit.js';
import { locateGitProject, type TaskWorktree, WorktreeManager } from './worktree-manager.js';

let project: string;
let manager: WorktreeManager;
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();

beforeEach(async () => {
  project = await mkdtemp(join(tmpdir(), 'sprint-task-commit-'));
  git(project, 'init', '-q', '-b', 'main');
  git(project, 'config', 'user.name', 'Test User');
  git(project, 'config', 'user.email', 'user@example.com');
  await writeFile(join(project, 'a.txt'), 'a\n');
  git(project, 'add', '-A');
  git(project, 'commit', '-q', '-m', 'initial');
  manager = new WorktreeManager({ project: (await locateGitProject(project))!, sprintId: 's1' });
});
afterEach(async () => {
  await manager.clean();
  await rm(project, { recursive: true, force: true });
});

const info = (summary = ''): TaskCommitInfo => ({
  sprintId: 's1',
  sprintName: 'one',
  taskId: 't',
  taskType: 'code',
  label: 'do it',
  summary,
});

async function worktree(): Promise<TaskWorktree> {
  return manager.create('t', 1, git(project, 'rev-parse', 'main'));
}

/** The commit's parents, the files it changes, and whether the worktree's branch holds it. */
function shape(wt: TaskWorktree, commit: string) {
  return {
    parents: git(project, 'log', '-1', '--format=%P', commit),
    files: git(project, 'show', '--name-only', '--format=', commit).split('\n'),
    onBranch: git(project, 'rev-parse', `refs/heads/${wt.branch}`) === commit,
  };
}

describe('a task’s one commit', { timeout: 60_000 }, () => {
  it('runs none of the user’s hooks, signs nothing, uses no template, and keeps the message as written (a # line too)', async () => {
    const hooks = join(project, '.git', 'hooks');
    await mkdir(hooks, { recursive: true });
    for (const hook of ['pre-commit', 'prepare-commit-msg', 'commit-msg', 'post-commit']) {
      await writeFile(join(hooks, hook), `#!/bin/sh\ntouch "${project}/ran-${hook}"\nexit 1\n`);
      await chmod(join(hooks, hook), 0o755);
    }
    // Signing would fail (and a real gpg might wait for a passphrase); a template would be added.
    git(project, 'config', 'commit.gpgSign', 'true');
    git(project, 'config', 'gpg.program', 'false');
    await writeFile(join(project, 'template.txt'), 'TEMPLATE LINE\n');
    git(project, 'config', 'commit.template', join(project, 'template.txt'));
    // Would drop the summary's Markdown heading as a comment.
    git(project, 'config', 'commit.cleanup', 'strip');
    const wt = await worktree();
    await writeFile(join(wt.path, 'b.txt'), 'b\n');
    const summary = '# Heading of the summary\nkept  as  written\n';
    const made = await commitTask(wt, info(summary), []);
    expect(made).toBeDefined();
    expect(shape(wt, made!.commit)).toEqual({
      parents: wt.base,
      files: ['b.txt'],
      onBranch: true,
    });
    const message = git(project, 'log', '-1', '--format=%B', made!.commit);
    expect(message).toContain('# Heading of the summary\nkept  as  written');
    expect(message).toContain('Sprint-Task: s1/t');
    expect(message).not.toContain('TEMPLATE');
    expect(git(project, 'log', '-1', '--format=%G?', made!.commit)).toBe('N');
    for (const hook of ['pre-commit', 'prepare-commit-msg', 'commit-msg', 'post-commit'])
      expect(existsSync(join(project, `ran-${hook}`)), hook).toBe(false);
    // What the merge queue is told matches git (the changes it asks git for itself).
    expect(made).toEqual({ commit: made!.commit, parent: wt.base, message: `${message}\n` });
  });

  it('folds commits the agent made on its branch, and what it left uncommitted, into one commit on the base', async () => {
    const wt = await worktree();
    await writeFile(join(wt.path, 'b.txt'), 'b\n');
    git(wt.path, 'add', 'b.txt');
    git(wt.path, 'commit', '-q', '-m', 'agent one');
    await writeFile(join(wt.path, 'c.txt'), 'c\n');
    git(wt.path, 'add', 'c.txt');
    git(wt.path, 'commit', '-q', '-m', 'agent two');
    await writeFile(join(wt.path, 'd.txt'), 'd\n');
    const made = await commitTask(wt, info(), []);
    expect(shape(wt, made!.commit)).toEqual({
      parents: wt.base,
      files: ['b.txt', 'c.txt', 'd.txt'],
      onBranch: true,
    });
    expect(made!.changed?.map((c) => c.path)).toEqual(['b.txt', 'c.txt', 'd.txt']);
  });

  it('commits on the task’s branch when the agent left HEAD detached at the base', async () => {
    const wt = await worktree();
    git(wt.path, 'checkout', '-q', '--detach');
    await writeFile(join(wt.path, 'b.txt'), 'b\n');
    const made = await commitTask(wt, info(), []);
    // The branch holds the work (a crash before integration leaves it to integrate).
    expect(shape(wt, made!.commit)).toEqual({ parents: wt.base, files: ['b.txt'], onBranch: true });
  });

  it('makes no commit when the task changed nothing, also after committing and reverting', async () => {
    const wt = await worktree();
    expect(await commitTask(wt, info(), [])).toBeUndefined();
    expect(git(project, 'rev-parse', `refs/heads/${wt.branch}`)).toBe(wt.base);
    await writeFile(join(wt.path, 'a.txt'), 'changed\n');
    git(wt.path, 'commit', '-q', '-am', 'agent');
    git(wt.path, 'revert', '--no-edit', 'HEAD');
    expect(await commitTask(wt, info(), [])).toBeUndefined();
  });
});
