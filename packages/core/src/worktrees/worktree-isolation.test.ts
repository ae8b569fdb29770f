import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
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
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers.js';
import { AgentRegistry } from '../agents/agent-registry.js';
import { ShellAgent } from '../agents/builtin-agents.js';
import { SprintLockedError } from '../model/errors.js';
import type { Task } from '../model/sprint.js';
import { SprintRunner } from '../runner/sprint-runner.js';
import { skipTask } from '../runner/task-control.js';
import { SprintDirectoryStore } from '../stores/sprint-directory-store.js';
import { SprintDocumentStore } from '../stores/sprint-document-store.js';
import { ScriptedAgent } from '../testing/scripted-agent.js';
import { defaultHooks } from '../workspace/agent-setup.js';
import { cleanSprint } from './clean-sprint.js';
import { locateGitProject, WorktreeManager } from './worktree-manager.js';

let project: string;
let scratch: string;
const git = (...args: string[]) =>
  execFileSync('git', args, { cwd: project, encoding: 'utf8' }).trim();

beforeEach(async () => {
  project = await mkdtemp(join(tmpdir(), 'sprint-wt-project-'));
  scratch = await mkdtemp(join(tmpdir(), 'sprint-wt-scratch-'));
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Test User');
  git('config', 'user.email', 'user@example.com');
  await writeFile(join(project, 'shared.txt'), 'one\ntwo\nthree\n');
  await writeFile(join(project, 'notes.txt'), 'committed notes\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
});
afterEach(async () => {
  await rm(project, { recursive: true, force: true });
  await rm(scratch, { recursive: true, force: true });
});

async function sprintIn(tasks: Partial<Task>[], config: Record<string, unknown> = {}) {
  const store = new SprintDirectoryStore({ root: join(project, '.claude', 'sprints') });
  const id = await store.create({
    name: 'iso',
    config,
    tasks: tasks.map(
      (t) => ({ type: 'shell', priority: 'medium', dependsOn: [], fields: {}, ...t }) as Task,
    ),
  });
  const runner = new SprintRunner({
    store,
    agents: new AgentRegistry({ default: new ShellAgent() }),
    hooks: defaultHooks(),
  });
  return { store, id, runner };
}

/** Waits in a task's shell command until every named file exists (a barrier, not a fixed time). */
function barrier(...names: string[]): string {
  const all = names.map((n) => `[ -e ${join(scratch, n)} ]`).join(' && ');
  return `i=0; until ${all}; do i=$((i+1)); [ $i -gt 3000 ] && exit 9; sleep 0.02; done`;
}

/** A sprint whose one task `x` is blocked (its merge-verify fails), its worktree kept. */
async function blockedWithKeptWorktree() {
  const made = await sprintIn([{ id: 'x', command: 'echo x > x.txt' }], {
    isolation: 'worktree',
    'merge-verify': 'exit 3',
    retry: { 'max-attempts': 1 },
  });
  expect((await made.runner.run(made.id)).status).toBe('blocked');
  const kept = (await made.store.load(made.id)).state.tasks.x?.worktree;
  expect(kept?.stage).toBe('kept');
  return { ...made, kept };
}

/**
 * The worktrees made (filled from nothing) while `run` runs, for attempts or
 * ahead of them, from git's own trace: each is a `read-tree` in a worktree of
 * the sprint (after `git worktree add`, or its record written by the runner).
 * A run waits for the spares it is making before it ends, so the trace holds every one.
 */
async function worktreesMade(run: () => Promise<void>): Promise<string[]> {
  const trace = join(scratch, 'git-trace2.json');
  process.env.GIT_TRACE2_EVENT = trace;
  try {
    await run();
  } finally {
    delete process.env.GIT_TRACE2_EVENT;
  }
  const events = existsSync(trace)
    ? (await readFile(trace, 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map(
          (l) =>
            JSON.parse(l) as { event: string; sid: string; argv?: string[]; worktree?: string },
        )
    : [];
  const readTrees = new Set(
    events.filter((e) => e.event === 'start' && e.argv?.includes('read-tree')).map((e) => e.sid),
  );
  return events
    .filter(
      (e) =>
        e.event === 'def_repo' &&
        readTrees.has(e.sid) &&
        /\/\.claude\/worktrees\//.test(e.worktree ?? ''),
    )
    .map((e) => e.worktree!);
}

function sprintLeftovers() {
  return {
    worktrees: git('worktree', 'list', '--porcelain')
      .split('\n')
      .filter((l) => l.startsWith('worktree ')),
    branches: git('branch', '--format=%(refname:short)').split('\n'),
  };
}

describe('a worktree per task', { timeout: 120_000 }, () => {
  it('integrates N independent tasks at concurrency K with one commit each, leaving the user’s dirty files alone', async () => {
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    const { runner, id, store } = await sprintIn(
      ids.map((t) => ({
        id: t,
        // Each sees only its own worktree: no other task's file, no sprint folder copy.
        command: `${barrier(...ids.slice(0, 3).map((x) => `start-${x}`))}; touch ${join(scratch, `start-${t}`)}; mkdir -p out && echo ${t} > out/${t}.txt && [ "$(git status --porcelain --untracked-files=all)" = "?? out/${t}.txt" ]`,
        verify: `test -f out/${t}.txt`,
      })),
      { concurrency: 3 },
    );
    // The barrier lets the first three start together; create their markers as they come.
    await writeFile(join(project, 'notes.txt'), 'my own edit, not committed\n');
    await writeFile(join(project, 'scratch-untracked.txt'), 'mine\n');
    for (const t of ids.slice(0, 3)) await writeFile(join(scratch, `start-${t}`), '');
    const t0 = Date.now();
    const gitCommitHook: string[] = [];
    const result = await runner.run(id, {
      onEvent: (e) => {
        if (e.type === 'hook' && e.hook === 'git-commit') gitCommitHook.push(e.message ?? '');
        if (process.env.WT_DEBUG)
          appendFileSync(
            '/tmp/wt-debug.log',
            `${Date.now() - t0} ${e.type} ${'taskId' in e ? e.taskId : ''} ${'stage' in e ? e.stage : ''} ${'to' in e ? e.to : ''}\n`,
          );
      },
    });
    expect(result.status, JSON.stringify(result.stopReason)).toBe('completed');
    // auto-commit is on (the default), but each task's one commit is the runner's: the
    // git-commit hook asks git nothing in a worktree.
    expect(gitCommitHook).toEqual([]);

    const subjects = git('log', '--format=%s', 'main').split('\n');
    expect(subjects).toHaveLength(ids.length + 1);
    for (const t of ids) {
      expect(subjects.filter((s) => s.includes(`: ${t}: `))).toHaveLength(1);
      expect(await readFile(join(project, 'out', `${t}.txt`), 'utf8')).toBe(`${t}\n`);
    }
    // One commit per task, each touching only its own file.
    for (const t of ids) {
      const sha = git('log', '--format=%H', '-1', `--grep=Sprint-Task: ${id}/${t}`, 'main');
      expect(git('show', '--name-only', '--format=', sha)).toBe(`out/${t}.txt`);
    }
    expect(await readFile(join(project, 'notes.txt'), 'utf8')).toBe('my own edit, not committed\n');
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], {
      cwd: project,
      encoding: 'utf8',
    });
    expect(status).toContain(' M notes.txt\n');
    expect(status).toContain('?? scratch-untracked.txt\n');
    expect(status).not.toContain('out/');
    expect(sprintLeftovers()).toEqual({ worktrees: [`worktree ${project}`], branches: ['main'] });
    const { state } = await store.load(id);
    expect(state.tasks.a?.worktree?.stage).toBe('removed');
    git('fsck', '--no-progress');
  });

  it('resets a finished attempt’s worktree for the next one: nothing the last agent left, ignored files included', async () => {
    await writeFile(join(project, '.gitignore'), 'build/\n');
    git('add', '.gitignore');
    git('commit', '-q', '-m', 'ignore build');
    const { runner, id } = await sprintIn(
      [
        {
          id: 'a',
          command: `cat .git > ${join(scratch, 'a-gitfile')}; mkdir -p out build && echo a > out/a.txt && echo junk > build/cache && echo stray >> shared.txt`,
        },
        {
          id: 'b',
          dependsOn: ['a'],
          // Where b works: its .git file names the same worktree git record as a's.
          command: `cat .git > ${join(scratch, 'b-gitfile')}; [ ! -e build ] && [ -f out/a.txt ] && [ -z "$(git status --porcelain --ignored --untracked-files=all)" ] && echo b > out/b.txt`,
        },
      ],
      { isolation: 'worktree' },
    );
    const result = await runner.run(id);
    expect(result.status, JSON.stringify(result.stopReason)).toBe('completed');
    expect(await readFile(join(scratch, 'b-gitfile'), 'utf8')).toBe(
      await readFile(join(scratch, 'a-gitfile'), 'utf8'),
    );
    expect(git('show', '--name-only', '--format=', 'HEAD')).toBe('out/b.txt');
    expect(sprintLeftovers()).toEqual({ worktrees: [`worktree ${project}`], branches: ['main'] });
    git('fsck', '--no-progress');
  });

  it('lists the worktrees folder in .git/info/exclude once, also when several worktrees are made at once', async () => {
    const manager = new WorktreeManager({
      project: (await locateGitProject(project))!,
      sprintId: 'excl',
    });
    const head = git('rev-parse', 'HEAD');
    await Promise.all(['a', 'b', 'c', 'd'].map((t) => manager.create(t, 1, head)));
    await manager.create('e', 1, head);
    const exclude = await readFile(join(project, '.git', 'info', 'exclude'), 'utf8');
    expect(exclude.split('\n').filter((l) => l === '/.claude/worktrees/')).toHaveLength(1);
    await manager.clean();
  });

  it('makes a worktree ahead: an attempt starting after the head moved takes it, with the new head’s files on its branch', async () => {
    const manager = new WorktreeManager({
      project: (await locateGitProject(project))!,
      sprintId: 'ahead',
    });
    manager.makeSpares(git('rev-parse', 'HEAD'), 1);
    expect(manager.hasSpare).toBe(true);
    await writeFile(join(project, 'later.txt'), 'later\n');
    await writeFile(join(project, 'shared.txt'), 'one\ntwo later\nthree\n');
    git('add', '-A');
    git('commit', '-q', '-m', 'later');
    const wt = await manager.create('t', 1, git('rev-parse', 'HEAD'));
    const inWt = (...args: string[]) =>
      execFileSync('git', args, { cwd: wt.path, encoding: 'utf8' }).trim();
    expect(wt.path).toBe(manager.pathFor('t', 1));
    expect(inWt('symbolic-ref', '--short', 'HEAD')).toBe('sprint-task/ahead/t-1');
    expect(inWt('status', '--porcelain', '--untracked-files=all')).toBe('');
    expect(await readFile(join(wt.path, 'later.txt'), 'utf8')).toBe('later\n');
    expect(await readFile(join(wt.path, 'shared.txt'), 'utf8')).toBe('one\ntwo later\nthree\n');
    // The one made ahead became the attempt's: no other worktree was made.
    expect(manager.hasSpare).toBe(false);
    expect(sprintLeftovers().worktrees).toEqual([`worktree ${project}`, `worktree ${wt.path}`]);
    await manager.clean();
    expect(sprintLeftovers()).toEqual({ worktrees: [`worktree ${project}`], branches: ['main'] });
  });

  it('cleans a finished attempt’s worktree when it is recycled, before the next attempt takes it', async () => {
    await writeFile(join(project, '.gitignore'), 'build/\n');
    git('add', '.gitignore');
    git('commit', '-q', '-m', 'ignore build');
    const manager = new WorktreeManager({
      project: (await locateGitProject(project))!,
      sprintId: 'recycled',
    });
    const wt = await manager.create('t', 1, git('rev-parse', 'HEAD'));
    await mkdir(join(wt.path, 'build'));
    await writeFile(join(wt.path, 'build', 'cache'), 'junk\n');
    await writeFile(join(wt.path, 'stray.txt'), 'stray\n');
    // Staged by the agent, never committed: the next attempt's checkout resets the index and it goes.
    await writeFile(join(wt.path, 'staged.txt'), 'staged\n');
    execFileSync('git', ['add', 'staged.txt'], { cwd: wt.path });
    await manager.recycle(wt);
    // No attempt takes it: the clean happens on its own, in the background.
    const spare = await waitFor(async () =>
      (await readdir(manager.home)).find((n) => n.startsWith('.spare-')),
    );
    await waitFor(
      async () => !['build', 'stray.txt'].some((f) => existsSync(join(manager.home, spare, f))),
      20_000,
    );
    const next = await manager.create('u', 1, git('rev-parse', 'HEAD'));
    expect(existsSync(join(next.path, 'staged.txt'))).toBe(false);
    expect(
      execFileSync('git', ['status', '--porcelain', '--ignored', '--untracked-files=all'], {
        cwd: next.path,
        encoding: 'utf8',
      }),
    ).toBe('');
    await manager.clean();
    expect(sprintLeftovers()).toEqual({ worktrees: [`worktree ${project}`], branches: ['main'] });
  });

  it('records a worktree as git would, and leaves it to `git worktree add` where the user’s checkout is sparse', async () => {
    const made = async (sprintId: string) => {
      const manager = new WorktreeManager({
        project: (await locateGitProject(project))!,
        sprintId,
      });
      const wt = await manager.create('t', 1, git('rev-parse', 'HEAD'));
      return { manager, wt };
    };
    const trace = join(scratch, 'trace.log');
    process.env.GIT_TRACE = trace;
    const { manager, wt } = await made('by-hand').finally(() => delete process.env.GIT_TRACE);
    // Nothing but git's own commands for the branch and the files: no `git worktree add`.
    expect(await readFile(trace, 'utf8')).not.toMatch(/built-in: git worktree add/);
    const inWt = (...args: string[]) =>
      execFileSync('git', args, { cwd: wt.path, encoding: 'utf8' }).trim();
    expect(git('worktree', 'list', '--porcelain')).toContain(
      `worktree ${wt.path}\nHEAD ${git('rev-parse', 'HEAD')}\nbranch refs/heads/sprint-task/by-hand/t-1`,
    );
    expect(inWt('symbolic-ref', 'HEAD')).toBe('refs/heads/sprint-task/by-hand/t-1');
    expect(inWt('rev-parse', '--git-common-dir')).toBe(join(project, '.git'));
    expect(inWt('status', '--porcelain', '--untracked-files=all')).toBe('');
    expect(await readFile(join(wt.path, 'notes.txt'), 'utf8')).toBe('committed notes\n');
    git('worktree', 'prune');
    expect(git('worktree', 'list', '--porcelain')).toContain(`worktree ${wt.path}`);
    await manager.clean();
    expect(sprintLeftovers()).toEqual({ worktrees: [`worktree ${project}`], branches: ['main'] });
    git('fsck', '--no-progress');

    // A sparse checkout of the user's: git carries its patterns over to the task's worktree.
    for (const dir of ['docs', 'other']) {
      await mkdir(join(project, dir));
      await writeFile(join(project, dir, 'file.md'), `${dir}\n`);
    }
    git('add', '-A');
    git('commit', '-q', '-m', 'two folders');
    git('sparse-checkout', 'set', 'docs');
    const sparse = await made('sparse');
    expect(existsSync(join(sparse.wt.path, 'docs', 'file.md'))).toBe(true);
    expect(existsSync(join(sparse.wt.path, 'other', 'file.md'))).toBe(false);
    await sparse.manager.clean();
  });

  it('keeps a tracked sprint folder out of the worktree and out of commits', async () => {
    const { runner, id } = await sprintIn(
      [
        {
          id: 'look',
          command:
            'test ! -e .claude/sprints && mkdir -p .claude/sprints/fake && echo x > .claude/sprints/fake/f && echo ok > look.txt',
        },
        { id: 'other', command: 'echo ok > other.txt' },
      ],
      { concurrency: 2 },
    );
    git('add', '-A');
    git('commit', '-q', '-m', 'track the sprint');
    const result = await runner.run(id);
    expect(result.status, JSON.stringify(result.stopReason)).toBe('completed');
    const sha = git('log', '--format=%H', '-1', `--grep=Sprint-Task: ${id}/look`, 'main');
    expect(git('show', '--name-only', '--format=', sha)).toBe('look.txt');
  });

  it('gives a conflicting task a new attempt on the new head, with the conflict in its prompt, not counted', async () => {
    const { runner, id, store } = await sprintIn(
      [
        {
          id: 'first',
          command: `${barrier('go')}; sed -i 's/^two$/two by first/' shared.txt`,
        },
        {
          id: 'second',
          // Waits until first is integrated, so it always comes second.
          command: `touch ${join(scratch, 'go')}; i=0; until git log main --format=%B | grep -q 'Sprint-Task: .*/first'; do i=$((i+1)); [ $i -gt 3000 ] && exit 9; sleep 0.02; done; sed -i 's/^two.*$/two by second/' shared.txt`,
        },
      ],
      { concurrency: 2, retry: { 'max-attempts': 1 } },
    );
    const result = await runner.run(id);
    expect(result.status, JSON.stringify(result.stopReason)).toBe('completed');
    const { state } = await store.load(id);
    const attempts = state.tasks.second?.attempts ?? [];
    expect(attempts.map((a) => [a.outcome, a.counted])).toEqual([
      ['failed', false],
      ['success', true],
    ]);
    expect(attempts[0]?.error?.kind).toBe('conflict');
    expect(attempts[0]?.error?.message).toContain('shared.txt (changed meanwhile by task first)');
    expect(attempts[0]?.error?.message).toContain('two by first');
    expect(await readFile(join(project, 'shared.txt'), 'utf8')).toBe('one\ntwo by second\nthree\n');
    expect(git('diff', 'HEAD', '--stat')).toBe('');
    expect(sprintLeftovers().branches).toEqual(['main']);
  });

  it('stops as needs-human when the task conflicts a second time, keeping its worktree for inspection', async () => {
    const { runner, id, store } = await sprintIn(
      [
        {
          id: 'edit',
          command: `n=$(cat ${join(scratch, 'n')} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${join(scratch, 'n')}; touch ${join(scratch, 'started')}-$n; i=0; until [ -e ${join(scratch, 'user-committed')}-$n ]; do i=$((i+1)); [ $i -gt 3000 ] && exit 9; sleep 0.02; done; sed -i 's/^two.*$/two by task/' shared.txt`,
        },
      ],
      { isolation: 'worktree' },
    );
    const run = runner.run(id);
    // The user commits a clashing change on the branch while each attempt works.
    for (const n of [1, 2]) {
      await waitForFile(join(scratch, `started-${n}`));
      await writeFile(join(project, 'shared.txt'), `one\ntwo by user ${n}\nthree\n`);
      git('commit', '-q', '-am', `user edit ${n}`);
      await writeFile(join(scratch, `user-committed-${n}`), '');
    }
    const result = await run;
    expect(result.status).toBe('needs-human');
    expect(result.humanNeeded?.reason).toContain('conflicted with integrated work twice');
    expect(result.humanNeeded?.details).toContain('user edit 2');
    const { state } = await store.load(id);
    const kept = state.tasks.edit?.worktree;
    expect(kept?.stage).toBe('kept');
    expect(await readFile(join(kept!.path!, 'shared.txt'), 'utf8')).toContain('two by task');
    expect(git('log', '-1', '--format=%s', 'main')).toBe('user edit 2');
    // No conflict markers anywhere, nothing committed of the task.
    expect(await readFile(join(project, 'shared.txt'), 'utf8')).toBe('one\ntwo by user 2\nthree\n');

    const manager = new WorktreeManager({
      project: (await locateGitProject(project))!,
      sprintId: id,
    });
    await manager.clean();
    expect(sprintLeftovers()).toEqual({ worktrees: [`worktree ${project}`], branches: ['main'] });
  });

  it('does not advance the branch when merge-verify fails on the integrated tree', async () => {
    const { runner, id, store } = await sprintIn([{ id: 'x', command: 'echo x > x.txt' }], {
      isolation: 'worktree',
      'merge-verify': 'test -f x.txt && echo "suite: 1 failed" && exit 3',
      retry: { 'max-attempts': 1 },
    });
    const before = git('rev-parse', 'main');
    const result = await runner.run(id);
    expect(result.status).toBe('blocked');
    expect(git('rev-parse', 'main')).toBe(before);
    await expect(stat(join(project, 'x.txt'))).rejects.toThrow();
    const { state } = await store.load(id);
    expect(state.tasks.x?.attempts[0]?.error?.kind).toBe('verify');
    expect(state.tasks.x?.attempts[0]?.error?.message).toContain('suite: 1 failed');
    expect(state.tasks.x?.worktree?.stage).toBe('kept');
  });

  it('removes a kept worktree, recorded as removed, when the sprint completes after its task was skipped', async () => {
    const { runner, id, store, kept } = await blockedWithKeptWorktree();
    await skipTask(store, id, 'x', { requestedBy: 'test', reason: 'not needed after all' });
    const stages: string[] = [];
    const result = await runner.run(id, {
      onEvent: (e) => {
        if (e.type === 'worktree' && e.taskId === 'x') stages.push(`${e.stage} ${e.branch}`);
        if (e.type === 'run-ended') stages.push('run-ended');
      },
    });
    expect(result.status).toBe('completed');
    expect(stages).toEqual([`removed ${kept?.branch}`, 'run-ended']);
    const { state } = await store.load(id);
    expect(state.tasks.x?.worktree).toMatchObject({ stage: 'removed', branch: kept?.branch });
    expect(state.tasks.x?.worktree?.path).toBeUndefined();
    expect(existsSync(kept!.path!)).toBe(false);
    expect(sprintLeftovers()).toEqual({ worktrees: [`worktree ${project}`], branches: ['main'] });
  });

  it('sprint clean records the kept worktree it removed, under the sprint’s lock', async () => {
    const { id, store, kept } = await blockedWithKeptWorktree();
    // A live holder of the lock: clean refuses and removes nothing.
    const lock = await store.acquireLock(id, {
      pid: process.pid,
      host: hostname(),
      runId: 'other-run',
      startedAt: new Date().toISOString(),
    });
    await expect(cleanSprint({ store, sprintId: id })).rejects.toThrow(SprintLockedError);
    expect(existsSync(kept!.path!)).toBe(true);
    await lock.release();
    const result = await cleanSprint({ store, sprintId: id });
    expect(result.removed).toEqual([kept?.branch]);
    expect(result.folder).toBe(dirname(kept!.path!));
    expect(existsSync(kept!.path!)).toBe(false);
    const { state } = await store.load(id);
    expect(state.tasks.x?.worktree).toMatchObject({ stage: 'removed', branch: kept?.branch });
    expect(state.tasks.x?.worktree?.path).toBeUndefined();
    expect(sprintLeftovers()).toEqual({ worktrees: [`worktree ${project}`], branches: ['main'] });
    // Nothing left: nothing removed, nothing recorded.
    const events = (await store.readEvents(id)).length;
    expect(await cleanSprint({ store, sprintId: id })).toEqual({ inGit: true, removed: [] });
    expect((await store.readEvents(id)).length).toBe(events);
  });

  it('records the removal of a blocked task’s kept worktree when the task runs again', async () => {
    const gate = join(scratch, 'passes');
    const { runner, id, store } = await sprintIn([{ id: 'x', command: 'echo x > x.txt' }], {
      isolation: 'worktree',
      'merge-verify': `test -e ${gate}`,
      retry: { 'max-attempts': 1 },
    });
    expect((await runner.run(id)).status).toBe('blocked');
    const kept = (await store.load(id)).state.tasks.x?.worktree;
    expect(kept?.stage).toBe('kept');
    await writeFile(gate, '');
    const removed: Array<string | undefined> = [];
    const result = await runner.run(id, {
      onEvent: (e) => {
        if (e.type === 'worktree' && e.stage === 'removed') removed.push(e.branch);
      },
    });
    expect(result.status).toBe('completed');
    expect(removed[0]).toBe(kept?.branch);
    expect(existsSync(kept!.path!)).toBe(false);
  });

  it('waits while integrating would touch a file the user modified, and says why', async () => {
    const { runner, id, store } = await sprintIn(
      [{ id: 'x', command: "sed -i 's/^one$/one by task/' shared.txt" }],
      { isolation: 'worktree' },
    );
    await writeFile(join(project, 'shared.txt'), 'one\ntwo\nthree\nmine\n');
    const events: string[] = [];
    const run = runner.run(id, {
      onEvent: (e) => {
        if (e.type === 'worktree' && e.stage === 'waiting-for-user') events.push(e.detail ?? '');
      },
    });
    await waitForValue(() => events.length > 0);
    expect(events[0]).toContain('shared.txt');
    // The user commits their edit; the integration goes on, on top of it.
    git('commit', '-q', '-am', 'user line');
    const result = await run;
    expect(result.status).toBe('completed');
    expect(await readFile(join(project, 'shared.txt'), 'utf8')).toBe(
      'one by task\ntwo\nthree\nmine\n',
    );
    expect(git('status', '--porcelain', '--untracked-files=no')).toBe('');
    void store;
  });

  it('waits, not writing it back, while integrating would change a file the user deleted', async () => {
    const { runner, id } = await sprintIn(
      [{ id: 'x', command: "sed -i 's/^one$/one by task/' shared.txt" }],
      { isolation: 'worktree' },
    );
    await rm(join(project, 'shared.txt'));
    const events: string[] = [];
    const run = runner.run(id, {
      onEvent: (e) => {
        if (e.type === 'worktree' && e.stage === 'waiting-for-user') events.push(e.detail ?? '');
      },
    });
    await waitForValue(() => events.length > 0);
    expect(events[0]).toContain('shared.txt');
    expect(existsSync(join(project, 'shared.txt'))).toBe(false);
    // The user changes their mind: the file is back, and the integration goes on.
    git('checkout', '--', 'shared.txt');
    expect((await run).status).toBe('completed');
    expect(await readFile(join(project, 'shared.txt'), 'utf8')).toBe('one by task\ntwo\nthree\n');
  });

  it('integrates over a file the user only touched (same content, new time stamp) without waiting', async () => {
    const { runner, id } = await sprintIn(
      [{ id: 'x', command: "sed -i 's/^one$/one by task/' shared.txt" }],
      { isolation: 'worktree' },
    );
    // An editor's save or a formatter: the index's time stamp no longer matches the file.
    const later = new Date(Date.now() + 60_000);
    await utimes(join(project, 'shared.txt'), later, later);
    const waits: string[] = [];
    const result = await runner.run(id, {
      onEvent: (e) => {
        if (e.type === 'worktree' && e.stage === 'waiting-for-user') waits.push(e.detail ?? '');
      },
    });
    expect(result.status, JSON.stringify(result.stopReason)).toBe('completed');
    expect(waits).toEqual([]);
    expect(await readFile(join(project, 'shared.txt'), 'utf8')).toBe('one by task\ntwo\nthree\n');
  });

  it('starts the next task while the merge queue integrates, and a dependent only after its dependency landed', async () => {
    const verified = join(scratch, 'b-ran');
    const { runner, id } = await sprintIn(
      [
        { id: 'a', command: 'echo a > a.txt' },
        // b runs while a's integration waits in merge-verify: only a freed slot lets it start.
        { id: 'b', command: `echo b > b.txt; touch ${verified}` },
        { id: 'c', dependsOn: ['a'], command: 'test -f a.txt && echo c > c.txt' },
      ],
      {
        isolation: 'worktree',
        concurrency: 1,
        'merge-verify': `if [ -f a.txt ] && [ ! -f b.txt ]; then ${barrier('b-ran')}; fi`,
      },
    );
    const order: string[] = [];
    const result = await runner.run(id, {
      onEvent: (e) => {
        if (e.type === 'task-started') order.push(`start ${e.taskId}`);
        if (e.type === 'worktree' && e.stage === 'integrated' && e.commit)
          order.push(`integrated ${e.taskId}`);
      },
    });
    expect(result.status, JSON.stringify(result.stopReason)).toBe('completed');
    expect(order.indexOf('start b')).toBeLessThan(order.indexOf('integrated a'));
    expect(order.indexOf('integrated a')).toBeLessThan(order.indexOf('start c'));
    expect(git('show', '--name-only', '--format=', 'main')).toBe('c.txt');
    expect(sprintLeftovers()).toEqual({ worktrees: [`worktree ${project}`], branches: ['main'] });
  });

  it('frees a task’s slot once its agent and verify are done: the next task starts while its commit runs', async () => {
    // A real clean filter, run by the `git add` of a's commit: it holds that commit until b
    // has started, which only a slot freed before the commit lets happen (concurrency 1).
    const hold = join(scratch, 'hold.sh');
    await writeFile(
      hold,
      `if [ "$1" = a.txt ]; then ${barrier('b-ran')}; touch ${join(scratch, 'a-held')}; fi\nexec cat\n`,
    );
    git('config', 'filter.hold.clean', `sh ${hold} %f`);
    await writeFile(join(project, '.gitattributes'), '*.txt filter=hold\n');
    git('add', '.gitattributes');
    git('commit', '-q', '-m', 'attributes');
    const { runner, id } = await sprintIn(
      [
        { id: 'a', command: 'echo a > a.txt', verify: 'test -f a.txt' },
        { id: 'b', command: `echo b > b.txt; touch ${join(scratch, 'b-ran')}` },
      ],
      { isolation: 'worktree', concurrency: 1 },
    );
    const order: string[] = [];
    const result = await runner.run(id, {
      onEvent: (e) => {
        if (e.type === 'task-started') order.push(`start ${e.taskId}`);
        if (e.type === 'worktree' && e.stage === 'queued') order.push(`committed ${e.taskId}`);
      },
    });
    expect(result.status, JSON.stringify(result.stopReason)).toBe('completed');
    // The filter ran in a's commit and let it go only once b had started.
    expect(existsSync(join(scratch, 'a-held'))).toBe(true);
    expect(order.indexOf('start b')).toBeGreaterThan(-1);
    expect(order.indexOf('start b')).toBeLessThan(order.indexOf('committed a'));
    const subjects = git('log', '--format=%s', 'main').split('\n');
    expect(subjects.filter((s) => s.startsWith(`sprint(${id})`))).toHaveLength(2);
    expect(sprintLeftovers()).toEqual({ worktrees: [`worktree ${project}`], branches: ['main'] });
    git('fsck', '--no-progress');
  });

  it('blocks a task whose worktree would pass worktrees.max-disk, saying so', async () => {
    const { runner, id, store } = await sprintIn(
      [
        { id: 'first', command: 'echo 1 > one.txt' },
        { id: 'second', dependsOn: ['first'], command: 'echo 2 > two.txt' },
      ],
      // The sprint's worktree folder (meta.json) takes 8 KB before any worktree: room for the first.
      { isolation: 'worktree', worktrees: { 'max-disk': '12KB' } },
    );
    const result = await runner.run(id);
    expect(result.status).toBe('blocked');
    const { state } = await store.load(id);
    expect(state.tasks.first?.status, state.tasks.first?.reason).toBe('done');
    expect(state.tasks.second?.reason).toMatch(
      /worktrees\.max-disk \(.* in use, measured, \+ .* for a fresh one > 12(\.0)? KB; fix: sprint clean/,
    );
    expect(sprintLeftovers().branches).toEqual(['main']);
  });

  it('measures what worktrees take on disk: a worktree an agent filled counts against max-disk', async () => {
    const written = join(scratch, 'fat-written');
    const release = join(scratch, 'release');
    const { runner, id, store } = await sprintIn(
      [
        // Fills its worktree with 3 MB, then holds it until the test has seen thin blocked.
        {
          id: 'fat',
          priority: 'high',
          command: `head -c 3000000 /dev/zero > fat.bin && touch ${written} && ${barrier('release')} && rm fat.bin && echo fat > fat.txt`,
        },
        { id: 'gate', priority: 'high', command: barrier('fat-written') },
        { id: 'thin', dependsOn: ['gate'], command: 'echo thin > thin.txt' },
      ],
      { isolation: 'worktree', concurrency: 2, worktrees: { 'max-disk': '2MB' } },
    );
    const run = runner.run(id);
    await waitForValue(
      async () => (await store.load(id)).state.tasks.thin?.status === 'blocked',
      60_000,
    );
    await writeFile(release, '');
    const result = await run;
    expect(result.status).toBe('blocked');
    const { state } = await store.load(id);
    expect(state.tasks.fat?.status).toBe('done');
    // A fresh worktree of this project takes a few KB: only the measured 3 MB passes 2 MB.
    expect(state.tasks.thin?.reason).toMatch(
      /worktrees\.max-disk \((2\.[89]|3\.\d) MB in use, measured, \+ .* > 2\.0 MB/,
    );
  });

  it('blocks the first tasks too when a fresh worktree (estimated from git) would pass max-disk', async () => {
    await writeFile(join(project, 'big.bin'), Buffer.alloc(270_000, 7));
    git('add', 'big.bin');
    git('commit', '-q', '-m', 'big');
    const { runner, id, store } = await sprintIn(
      [
        { id: 'k1', command: 'echo 1 > one.txt' },
        { id: 'k2', command: 'echo 2 > two.txt' },
        { id: 'k3', command: 'echo 3 > three.txt' },
      ],
      { isolation: 'worktree', concurrency: 2, worktrees: { 'max-disk': '100KB' } },
    );
    const created: string[] = [];
    const result = await runner.run(id, {
      onEvent: (e) => {
        if (e.type === 'worktree' && e.stage === 'created') created.push(e.taskId ?? '?');
      },
    });
    expect(result.status).toBe('blocked');
    expect(created).toEqual([]);
    const { state } = await store.load(id);
    expect(state.tasks.k3?.status).not.toBe('done');
    // Both first tasks (started at once, before any worktree existed to measure) are blocked.
    for (const t of ['k1', 'k2']) {
      expect(state.tasks[t]?.status).toBe('blocked');
      expect(state.tasks[t]?.reason).toMatch(
        /worktrees\.max-disk \(.* in use, measured, \+ 26\d(\.\d)? KB \(estimated from git\) for a fresh one > 100(\.0)? KB/,
      );
    }
    expect(sprintLeftovers()).toEqual({ worktrees: [`worktree ${project}`], branches: ['main'] });
  });

  it('makes no spare worktree ahead when no further task waits for one', async () => {
    const { runner, id } = await sprintIn([{ id: 'only', command: 'true' }], {
      isolation: 'worktree',
      concurrency: 2,
    });
    const made = await worktreesMade(async () => {
      expect((await runner.run(id)).status).toBe('completed');
    });
    // The task's own, and no other.
    expect(made).toHaveLength(1);
  });

  it('makes a spare worktree ahead while a further task waits for one', async () => {
    const { runner, id } = await sprintIn(
      [
        { id: 'first', command: 'true' },
        { id: 'second', dependsOn: ['first'], command: 'true' },
      ],
      { isolation: 'worktree', concurrency: 2 },
    );
    const made = await worktreesMade(async () => {
      expect((await runner.run(id)).status).toBe('completed');
    });
    // The first task's, and one made ahead for the second while the first works.
    expect(made.length).toBeGreaterThan(1);
  });

  it('refuses isolation: worktree outside git, changing nothing', async () => {
    await rm(join(project, '.git'), { recursive: true, force: true });
    const { runner, id, store } = await sprintIn([{ id: 'x', command: 'true' }], {
      isolation: 'worktree',
    });
    await expect(runner.run(id)).rejects.toThrow(/needs a git repository/);
    expect((await store.load(id)).state.status).toBe('not-started');
  });
});

describe('where the work lands, and the sprint formats under isolation', {
  timeout: 120_000,
}, () => {
  it('target-branch: the work goes to a separate branch; main and the user’s checkout stay as they were', async () => {
    const before = git('rev-parse', 'main');
    const { runner, id } = await sprintIn(
      [
        { id: 'a', command: 'echo a > a.txt' },
        { id: 'b', command: 'echo b > b.txt' },
      ],
      { isolation: 'worktree', concurrency: 2, 'target-branch': 'sprint/pr' },
    );
    const result = await runner.run(id);
    expect(result.status).toBe('completed');
    expect(git('rev-parse', 'main')).toBe(before);
    expect(git('symbolic-ref', '--short', 'HEAD')).toBe('main');
    await expect(stat(join(project, 'a.txt'))).rejects.toThrow();
    const trailers = git('log', '--format=%(trailers:key=Sprint-Task,valueonly)', 'sprint/pr')
      .split('\n')
      .filter(Boolean);
    expect(trailers.sort()).toEqual([`${id}/a`, `${id}/b`]);
    expect(git('ls-tree', '--name-only', 'sprint/pr').split('\n')).toEqual(
      expect.arrayContaining(['a.txt', 'b.txt', 'shared.txt']),
    );
    // The target branch is the deliverable: it stays; the task branches and worktrees go.
    expect(git('branch', '--format=%(refname:short)').split('\n').sort()).toEqual([
      'main',
      'sprint/pr',
    ]);
    expect(sprintLeftovers().worktrees).toEqual([`worktree ${project}`]);
  });

  it('lands on the branch checked out at the start, also after the user switches branches mid-run', async () => {
    git('checkout', '-q', '-b', 'feature');
    const { runner, id } = await sprintIn(
      [
        {
          id: 'a',
          command: `touch ${join(scratch, 'a-started')}; ${barrier('switched')}; echo a > a.txt`,
        },
      ],
      { isolation: 'worktree' },
    );
    await writeFile(join(project, 'mine.txt'), 'my untracked work\n');
    const run = runner.run(id);
    await waitForFile(join(scratch, 'a-started'));
    // The user goes back to main while the task works.
    git('checkout', '-q', 'main');
    await writeFile(join(scratch, 'switched'), '');
    const result = await run;
    expect(result.status).toBe('completed');
    // The work is on feature; main, now checked out, and the user's files are untouched.
    expect(git('log', '-1', '--format=%(trailers:key=Sprint-Task,valueonly)', 'feature')).toBe(
      `${id}/a`,
    );
    expect(git('log', '-1', '--format=%s', 'main')).toBe('initial');
    expect(git('symbolic-ref', '--short', 'HEAD')).toBe('main');
    await expect(stat(join(project, 'a.txt'))).rejects.toThrow();
    expect(await readFile(join(project, 'mine.txt'), 'utf8')).toBe('my untracked work\n');
    expect(git('status', '--porcelain', '--untracked-files=no')).toBe('');
  });

  it('the plugin’s sprint directory: the agent’s edits to its copy, even committed with git, never land; PROGRESS.yaml is the runner’s', async () => {
    const { runner, id, store } = await sprintIn(
      [
        {
          id: 'sneaky',
          // Brings the hidden sprint folder back, edits PROGRESS.yaml and commits it itself.
          command: [
            'git update-index --no-skip-worktree $(git ls-files .claude/sprints)',
            'git checkout -- .claude/sprints',
            `echo hacked >> .claude/sprints/${'$'}{SPRINT_ID}/PROGRESS.yaml`,
            'git add -f .claude/sprints',
            'git commit -qm sneaky',
            'echo ok > sneaky.txt',
          ].join(' && '),
        },
        { id: 'other', command: 'echo ok > other.txt' },
      ],
      { concurrency: 2 },
    );
    git('add', '-A');
    git('commit', '-q', '-m', 'track the sprint');
    const tracked = git('show', `HEAD:.claude/sprints/${id}/PROGRESS.yaml`);
    process.env.SPRINT_ID = id;
    const result = await runner.run(id).finally(() => {
      delete process.env.SPRINT_ID;
    });
    expect(result.status, JSON.stringify(result.stopReason)).toBe('completed');
    const sha = git('log', '--format=%H', '-1', `--grep=Sprint-Task: ${id}/sneaky`, 'main');
    expect(git('show', '--name-only', '--format=', sha)).toBe('sneaky.txt');
    expect(git('show', `main:.claude/sprints/${id}/PROGRESS.yaml`)).toBe(tracked);
    const progress = await readFile(
      join(project, '.claude', 'sprints', id, 'PROGRESS.yaml'),
      'utf8',
    );
    // (The command itself, quoted in PROGRESS.yaml, names the word: no line is only it.)
    expect(progress.split('\n')).not.toContain('hacked');
    expect((await store.load(id)).state.tasks.sneaky?.status).toBe('done');
    expect(sprintLeftovers().branches).toEqual(['main']);
  });

  it('a Markdown sprint document: steps run in worktrees without the document, boxes ticked in the user’s copy only', async () => {
    const folder = join(project, 'sprints', 'sprint-08');
    await mkdir(folder, { recursive: true });
    await cp(
      join(
        import.meta.dirname,
        '..',
        'stores',
        'document',
        'fixtures',
        'sprint-08_core-sprint-runner.md',
      ),
      join(folder, 'sprint-08.md'),
    );
    git('add', '-A');
    git('commit', '-q', '-m', 'the sprint document');
    const sawDocument: string[] = [];
    const agent = new ScriptedAgent('s', {}, async (ctx) => {
      if (existsSync(join(ctx.projectDir, 'sprints'))) sawDocument.push(ctx.task.id);
      await writeFile(join(ctx.projectDir, `${ctx.task.id}.txt`), `${ctx.task.id}\n`);
      return { success: true, summary: `did ${ctx.task.id}` };
    });
    const store = new SprintDocumentStore({ root: join(project, 'sprints') });
    const runner = new SprintRunner({ store, agents: new AgentRegistry({ default: agent }) });
    const result = await runner.run('sprint-08', { isolation: 'worktree', concurrency: 2 });
    expect(result.status).toBe('completed');
    expect(agent.calls).toHaveLength(8);
    expect(sawDocument).toEqual([]);
    // One commit per step, each with only its own file; the document is never in one.
    const trailers = git('log', '--format=%(trailers:key=Sprint-Task,valueonly)', 'main')
      .split('\n')
      .filter(Boolean);
    expect(trailers).toHaveLength(8);
    expect(
      git('log', '--format=', '--name-only', 'HEAD~8..HEAD').split('\n').filter(Boolean),
    ).toHaveLength(8);
    expect(git('diff', '--name-only', 'HEAD~8', 'HEAD', '--', 'sprints')).toBe('');
    // The user's copy has the boxes ticked (uncommitted, as without isolation).
    const doc = await readFile(join(folder, 'sprint-08.md'), 'utf8');
    expect(doc.match(/^- \[x\]/gm)).toHaveLength(8);
    expect(sprintLeftovers().branches).toEqual(['main']);
    expect(sprintLeftovers().worktrees).toEqual([`worktree ${project}`]);
  });
});

async function waitForFile(path: string) {
  await waitForValue(() =>
    stat(path).then(
      () => true,
      () => false,
    ),
  );
}

async function waitForValue(check: () => boolean | Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 20));
  }
}
