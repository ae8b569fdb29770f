import { execFileSync, spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Task } from '../src/model/sprint.js';
import { isSameProcessAlive, processStartTime } from '../src/process/process-group.js';
import { SprintDirectoryStore } from '../src/stores/sprint-directory-store.js';
import { untilFileExists } from '../src/testing/until-file.js';
import { alive, CHILD, waitFor } from './helpers.js';

let project: string;
let scratch: string;
const git = (...args: string[]) =>
  execFileSync('git', args, { cwd: project, encoding: 'utf8' }).trim();

beforeEach(async () => {
  project = await mkdtemp(join(tmpdir(), 'sprint-wt-crash-'));
  scratch = await mkdtemp(join(tmpdir(), 'sprint-wt-crash-scratch-'));
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Test User');
  git('config', 'user.email', 'user@example.com');
  await writeFile(join(project, 'README.md'), 'project\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
});
afterEach(async () => {
  await rm(project, { recursive: true, force: true });
  await rm(scratch, { recursive: true, force: true });
});

async function sprint(tasks: Partial<Task>[], config: Record<string, unknown>) {
  const root = join(project, '.claude', 'sprints');
  const store = new SprintDirectoryStore({ root });
  const id = await store.create({
    name: 'crash',
    config: { isolation: 'worktree', ...config },
    tasks: tasks.map(
      (t) => ({ type: 'shell', priority: 'medium', dependsOn: [], fields: {}, ...t }) as Task,
    ),
  });
  return { store, id, dir: join(root, id) };
}

/** The runner in its own process group, so kill -9 takes it and every git it started, as a crash would. */
function runner(dir: string, mode: 'run' | 'resume') {
  const child = spawn(process.execPath, [CHILD, dir, mode, 'shell'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const done = new Promise<string>((resolve) => child.on('close', () => resolve(out)));
  return { child, done };
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

async function expectConsistent(id: string, tasks = ['a', 'b']) {
  git('fsck', '--no-progress', '--no-dangling');
  const gitDir = join(project, '.git');
  for (const leftover of [
    'index.lock',
    'HEAD.lock',
    'refs/heads/main.lock',
    'packed-refs.lock',
    'rebase-merge',
    'rebase-apply',
    'MERGE_HEAD',
  ]) {
    await expect(stat(join(gitDir, leftover)), leftover).rejects.toThrow();
  }
  expect(
    git('worktree', 'list', '--porcelain')
      .split('\n')
      .filter((l) => l.startsWith('worktree ')),
  ).toEqual([`worktree ${project}`]);
  expect(git('branch', '--format=%(refname:short)')).toBe('main');
  // Each task integrated exactly once.
  const trailers = git('log', '--format=%(trailers:key=Sprint-Task,valueonly)', 'main')
    .split('\n')
    .filter(Boolean);
  expect(trailers.sort()).toEqual(tasks.map((t) => `${id}/${t}`));
  // One commit each, nothing else: the initial commit and the tasks'.
  expect(git('rev-list', '--count', 'main')).toBe(String(tasks.length + 1));
  // The user's checkout shows the integrated result, nothing half-applied.
  expect(git('status', '--porcelain', '--untracked-files=no', '--', '.', ':!README.md')).toBe('');
  for (const t of tasks) expect(await readFile(join(project, `${t}.txt`), 'utf8')).toBe(`${t}\n`);
}

describe('kill -9 under isolation', { timeout: 180_000 }, () => {
  it('during merge-verify: resume integrates the committed work once, leaves nothing behind', async () => {
    const started = join(scratch, 'verify-started');
    const { id, dir } = await sprint(
      [
        { id: 'a', command: 'echo a > a.txt' },
        { id: 'b', dependsOn: ['a'], command: 'echo b > b.txt' },
      ],
      {
        // The first merge-verify hangs (the crash comes then); every later one passes.
        'merge-verify': `if [ -f ${started} ]; then exit 0; fi; echo $$ > ${started}; sleep 120`,
      },
    );
    const first = runner(dir, 'run');
    const verifyPid = Number(
      await waitFor(async () => (await readFile(started, 'utf8').catch(() => '')).trim(), 60_000),
    );
    // Its start time tells a later kill whether the PID still names it, not a process that got
    // the PID after it ended (PIDs wrap within minutes on a busy machine, pid_max 32768).
    const verifyStart = processStartTime(verifyPid);
    process.kill(-first.child.pid!, 'SIGKILL');
    await first.done;
    expect(git('log', '--format=%s', 'main').split('\n')).toHaveLength(1);

    const second = runner(dir, 'resume');
    const out = await second.done;
    // The resume ended the dead attempt's merge-verify (it carries the attempt's run marker).
    // Whatever is left is killed here, never another test's process group, then reported.
    // (A zombie is dead: it waits only for a parent that no longer runs to reap it.)
    const survived = isSameProcessAlive(verifyPid, verifyStart) && alive(verifyPid);
    if (survived) process.kill(-verifyPid, 'SIGKILL');
    expect(survived, 'the dead attempt’s merge-verify outlived the resume').toBe(false);
    const result = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(result.status, out).toBe('completed');
    const { state } = await new SprintDirectoryStore({
      root: join(project, '.claude', 'sprints'),
    }).load(id);
    // The dead attempt's committed work was integrated, not redone by a new agent run.
    expect(state.tasks.a?.attempts.map((x) => x.outcome)).toEqual(['interrupted', 'success']);
    expect(state.tasks.a?.attempts[1]?.durationMs ?? 0).toBeGreaterThanOrEqual(0);
    await expectConsistent(id);
  });

  it('while the branch moves (ref locked, checkout updated): resume finishes it, integrates nothing twice', async () => {
    const seen = join(scratch, 'ref-hook-seen');
    const hook = join(project, '.git', 'hooks', 'reference-transaction');
    // A real git hook that stalls the first update of main after its lock is taken.
    await writeFile(
      hook,
      `#!/bin/sh\n[ "$1" = prepared ] || exit 0\nif grep -q ' refs/heads/main$' && [ ! -f ${seen} ]; then touch ${seen}; sleep 120; fi\nexit 0\n`,
    );
    await chmod(hook, 0o755);
    const { id, dir } = await sprint(
      [
        { id: 'a', command: 'echo a > a.txt' },
        { id: 'b', dependsOn: ['a'], command: 'echo b > b.txt' },
      ],
      {},
    );
    const first = runner(dir, 'run');
    await waitFor(() => exists(seen), 60_000);
    await waitFor(() => exists(join(project, '.git', 'refs', 'heads', 'main.lock')));
    process.kill(-first.child.pid!, 'SIGKILL');
    await first.done;

    const second = runner(dir, 'resume');
    const out = await second.done;
    const result = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(result.status, out).toBe('completed');
    await expectConsistent(id);
  });

  it('after a crash that left packed-refs.lock: resume removes it, deletes refs again, completes', async () => {
    const started = join(scratch, 'a-started');
    const { id, dir } = await sprint(
      [
        // The first attempt hangs (the crash comes then); the next one does the work.
        {
          id: 'a',
          command: `if [ -f ${started} ]; then echo a > a.txt; else touch ${started}; exec timeout --foreground 300 tail -f /dev/null; fi`,
        },
        { id: 'b', dependsOn: ['a'], command: 'echo b > b.txt' },
      ],
      {},
    );
    const first = runner(dir, 'run');
    await waitFor(() => exists(started), 60_000);
    process.kill(-first.child.pid!, 'SIGKILL');
    await first.done;
    // What a git killed inside `update-ref -d` or `branch -D` leaves: the lock, nobody holding it.
    await writeFile(join(project, '.git', 'packed-refs.lock'), '');

    const second = runner(dir, 'resume');
    const out = await second.done;
    const result = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(result.status, out).toBe('completed');
    await expect(stat(join(project, '.git', 'packed-refs.lock'))).rejects.toThrow();
    await expectConsistent(id);
  });

  it('while a batch of integrations moves the branch: resume integrates each task once, one commit each', async () => {
    const released = join(scratch, 'release-first');
    const batch = join(scratch, 'batch-seen');
    const hook = join(project, '.git', 'hooks', 'reference-transaction');
    // A real git hook on main's updates, its lock taken: the first integration (one commit) waits
    // until the test has b's and c's commits queued behind it, so they go together; that batch
    // (two commits in one move) stalls, and the crash comes then.
    await writeFile(
      hook,
      `#!/bin/sh
[ "$1" = prepared ] || exit 0
line=$(grep ' refs/heads/main$') || exit 0
set -- $line
n=$(git rev-list --count "$1..$2")
if [ "$n" -ge 2 ] && [ ! -f ${batch} ]; then touch ${batch}; exec timeout --foreground 300 tail -f /dev/null; fi
if [ "$n" = 1 ]; then ${untilFileExists(released)}; fi
exit 0
`,
    );
    await chmod(hook, 0o755);
    // The user's own work, which integration must leave alone.
    await writeFile(join(project, 'README.md'), 'project, edited by the user\n');
    await writeFile(join(project, 'mine.md'), 'my notes\n');
    const { id, dir } = await sprint(
      ['a', 'b', 'c'].map((t) => ({ id: t, command: `echo ${t} > ${t}.txt` })),
      { concurrency: 3 },
    );
    const first = runner(dir, 'run');
    // Every task's commit made on its branch: two of them wait behind the first integration.
    const committed = () =>
      git('log', '--all', '--format=%(trailers:key=Sprint-Task,valueonly)', '--not', 'main')
        .split('\n')
        .filter(Boolean).length;
    await waitFor(() => committed() + Number(git('rev-list', '--count', 'main')) - 1 >= 3, 60_000);
    await writeFile(released, '');
    await waitFor(() => exists(batch), 60_000);
    await waitFor(() => exists(join(project, '.git', 'refs', 'heads', 'main.lock')));
    process.kill(-first.child.pid!, 'SIGKILL');
    await first.done;
    // Killed mid-batch indeed: the batch's commits did not land.
    expect(Number(git('rev-list', '--count', 'main'))).toBeLessThan(4);

    const second = runner(dir, 'resume');
    const out = await second.done;
    const result = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(result.status, out).toBe('completed');
    await expectConsistent(id, ['a', 'b', 'c']);
    expect(await readFile(join(project, 'README.md'), 'utf8')).toBe(
      'project, edited by the user\n',
    );
    expect(await readFile(join(project, 'mine.md'), 'utf8')).toBe('my notes\n');
    expect(git('status', '--porcelain', '--untracked-files=all', '--', '.', ':!.claude')).toBe(
      'M README.md\n?? mine.md',
    );
  });

  it('during the update of the user’s files (read-tree -m -u half done): resume leaves the checkout consistent and the user’s work intact', async () => {
    const seen = join(scratch, 'smudge-seen');
    const smudge = join(scratch, 'smudge.sh');
    const top = realpathSync(project);
    // A real smudge filter that stalls on m.txt, once, only while the user's checkout is being
    // updated: a.txt is written by then, m.txt not yet, and the index is still locked.
    await writeFile(
      smudge,
      `if [ "$1" = m.txt ] && [ "$(pwd -P)" = "${top}" ] && [ ! -f ${seen} ]; then touch ${seen}; sleep 120; fi\nexec cat\n`,
    );
    git('config', 'filter.slow.smudge', `sh ${smudge} %f`);
    await writeFile(join(project, '.gitattributes'), '*.txt filter=slow\n');
    git('add', '.gitattributes');
    git('commit', '-q', '-m', 'attributes');
    // The user's own work: a modified tracked file and an untracked one.
    await writeFile(join(project, 'README.md'), 'project, edited by the user\n');
    await writeFile(join(project, 'mine.md'), 'my notes\n');
    const { id, dir } = await sprint(
      [
        { id: 'a', command: 'echo a > a.txt && echo m > m.txt' },
        { id: 'b', dependsOn: ['a'], command: 'echo b > b.txt' },
      ],
      {},
    );
    const first = runner(dir, 'run');
    await waitFor(() => exists(seen), 60_000);
    await waitFor(() => exists(join(project, '.git', 'index.lock')));
    process.kill(-first.child.pid!, 'SIGKILL');
    await first.done;
    // Half done indeed: the first file of the update is there, the index still locked.
    expect(await readFile(join(project, 'a.txt'), 'utf8')).toBe('a\n');
    await expect(stat(join(project, 'm.txt'))).rejects.toThrow();

    const second = runner(dir, 'resume');
    const out = await second.done;
    const result = JSON.parse(out.trim().split('\n').at(-1)!);
    expect(result.status, out).toBe('completed');
    git('fsck', '--no-progress', '--no-dangling');
    await expect(stat(join(project, '.git', 'index.lock'))).rejects.toThrow();
    const trailers = git('log', '--format=%(trailers:key=Sprint-Task,valueonly)', 'main')
      .split('\n')
      .filter(Boolean);
    expect(trailers.sort()).toEqual([`${id}/a`, `${id}/b`]);
    for (const [file, text] of [
      ['a.txt', 'a\n'],
      ['m.txt', 'm\n'],
      ['b.txt', 'b\n'],
      ['README.md', 'project, edited by the user\n'],
      ['mine.md', 'my notes\n'],
    ]) {
      expect(await readFile(join(project, file!), 'utf8'), file).toBe(text);
    }
    // Only the user's own changes show: the integrated files match the branch.
    expect(git('status', '--porcelain', '--untracked-files=all', '--', '.', ':!.claude')).toBe(
      'M README.md\n?? mine.md', // (trimmed: ' M', modified, not staged)
    );
    expect(
      git('worktree', 'list', '--porcelain')
        .split('\n')
        .filter((l) => l.startsWith('worktree ')),
    ).toEqual([`worktree ${project}`]);
    expect(git('branch', '--format=%(refname:short)')).toBe('main');
  });
});
