import { stat } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { plural } from '../model/plural.js';
import { taskLabel } from '../model/task-info.js';
import { runnerFiles } from '../runner/runner-files.js';
import { GitCommandError, gitSteps, NO_OPTIONAL_LOCKS, git as runGit } from '../worktrees/git.js';
import type { SprintHook } from './hook.js';

async function git(cwd: string, args: string[]): Promise<string> {
  return (await runGit(cwd, args)).stdout;
}

/** One commit at a time per repository in this process: git's index has one lock. */
const commitQueues = new Map<string, Promise<unknown>>();

function serialised<T>(top: string, fn: () => Promise<T>): Promise<T> {
  const prev = commitQueues.get(top) ?? Promise.resolve();
  const next = prev.then(fn, fn);
  const tail = next.catch(() => undefined);
  commitQueues.set(top, tail);
  void tail.then(() => {
    if (commitQueues.get(top) === tail) commitQueues.delete(top);
  });
  return next;
}

/** Another git process (a person's, another runner's) holds the index: worth waiting for. */
const INDEX_LOCKED = /index\.lock/;
const LOCK_RETRIES = 20;

/** Runs `fn`, again while another process holds `.git/index.lock` (up to about 10 s in all). */
async function whileIndexLocked<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (error) {
      if (i >= LOCK_RETRIES || !INDEX_LOCKED.test(String((error as Error).message))) throw error;
      await new Promise((r) => setTimeout(r, 25 * 2 ** Math.min(i, 4)));
    }
  }
}

/**
 * Whether git reports `path` as one of the runner's files or an atomic
 * write's temporary copy of one (`PROGRESS.yaml.tmp-<pid>-<hex>`), which may
 * vanish between `git status` and `git add`.
 */
function isRunnerFile(path: string, runnerFiles: ReadonlySet<string>): boolean {
  if (runnerFiles.has(path)) return true;
  const tmp = path.lastIndexOf('.tmp-');
  return tmp > 0 && runnerFiles.has(path.slice(0, tmp));
}

/**
 * Paths git reports as changed or untracked (relative to the top), with a
 * stamp of their content's state; the untracked ones are also put in `untracked`.
 */
async function dirtyPaths(top: string, untracked?: Set<string>): Promise<Map<string, string>> {
  // Read-only: no index.lock for the person's own git (or a commit here) to run into.
  const out = (
    await runGit(top, ['status', '--porcelain=v1', '-z', '--untracked-files=all'], {
      env: NO_OPTIONAL_LOCKS,
    })
  ).stdout;
  const entries = out.split('\0');
  const paths: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (entry.length < 4) continue;
    paths.push(entry.slice(3));
    if (entry.startsWith('??')) untracked?.add(entry.slice(3));
    // A rename or copy is followed by its source path.
    if (entry[0] === 'R' || entry[0] === 'C') paths.push(entries[++i] ?? '');
  }
  const stamped = new Map<string, string>();
  await Promise.all(
    paths.filter(Boolean).map(async (p) => {
      const st = await stat(join(top, p)).catch(() => undefined);
      stamped.set(p, st ? `${st.mtimeMs}:${st.size}` : 'gone');
    }),
  );
  return stamped;
}

/** An attempt the hook has seen start in a working tree, and not yet end. */
interface OpenAttempt {
  top: string;
  /** When it started, in the hook's own order of starts and ends. */
  startSeq: number;
  /** Dirty paths and their stamps when it started. */
  before: Map<string, string>;
  /** It completed and is committing: its changes are no longer at risk of being left unfinished. */
  completing?: boolean;
}

/** What an attempt that did not complete left changed: its paths and their stamps as it left them. */
interface UnfinishedChanges {
  top: string;
  endSeq: number;
  changes: Map<string, string>;
}

/**
 * Commits the work of each completed task, with a message naming the sprint
 * and the task, when the project is a git repository and the sprint's
 * `auto-commit` is on. Only what changed while the task ran goes in: files
 * that were already modified or untracked before it started, and that it
 * left alone, stay out (a person's work in progress is never swept into a
 * sprint commit), and so do the sprint's own files and the runner's files.
 * Temporary copies of those files are never candidates.
 *
 * Tasks that share one working tree (`isolation: shared` with concurrency
 * above 1) cannot be told apart by git, so a commit leaves out, uncommitted
 * and named in the hook's message, every file that may be another attempt's:
 * one changed since another attempt that is still working started (that
 * attempt's own commit takes it when it completes), and one still exactly as an attempt
 * that did not complete (failed, timed out, cancelled) left it during this
 * one. Commits are serialised per repository, and one that meets another
 * process's `.git/index.lock` waits and tries again. A commit that still
 * fails does not fail the task: it is a failed `hook` event, and the
 * attempt's `commitError` (see `status`, the API, and the run's
 * `commitFailures`). An attempt in a worktree of its own (isolation) is left
 * alone: the runner makes its one commit.
 */
export function gitCommitHook(options: { enabled?: boolean } = {}): SprintHook {
  const open = new Map<string, OpenAttempt>();
  let unfinished: UnfinishedChanges[] = [];
  let seq = 0;
  const key = (sprintId: string, taskId: string, attempt: number) =>
    `${sprintId}\0${taskId}\0${attempt}`;
  const enabled = (autoCommit: boolean) => options.enabled !== false && autoCommit !== false;
  // Asked once per project directory, not twice per task (a spawn each, also outside git).
  const tops = new Map<string, Promise<string | undefined>>();
  const topOf = (dir: string) => {
    let top = tops.get(dir);
    if (!top) {
      top = git(dir, ['rev-parse', '--show-toplevel']).then(
        (s) => s.trim(),
        () => undefined,
      );
      tops.set(dir, top);
    }
    return top;
  };
  /**
   * What the working tree held right after the last commit, when no other
   * attempt was open there: the next attempt, starting at once, takes it as its
   * starting point instead of asking git again (one git process fewer per task).
   */
  let settled: { top: string; at: number; dirty: Map<string, string> } | undefined;
  const settle = (top: string, k: string, now: Map<string, string>, committed: string[]) => {
    if ([...open].some(([o, a]) => o !== k && a.top === top)) return;
    const dirty = new Map(now);
    for (const path of committed) dirty.delete(path);
    settled = { top, at: performance.now(), dirty };
  };
  /** Changes left by unfinished attempts matter only while an attempt that saw them happen is open. */
  const forgetOldUnfinished = () => {
    const oldestOpen = Math.min(...[...open.values()].map((a) => a.startSeq));
    unfinished = unfinished.filter((u) => u.endSeq > oldestOpen);
  };

  return {
    name: 'git-commit',
    beforeSprint() {
      // A run starts after a pause a person may have used: its first task asks git.
      settled = undefined;
      return undefined;
    },
    async beforeStep({ task, attempt, sprint, projectDir, isolated }) {
      // Under isolation the runner makes the task's one commit itself: git need not be asked.
      if (isolated || !enabled(sprint.config.autoCommit)) return undefined;
      const top = await topOf(projectDir);
      if (top) {
        const alone = ![...open.values()].some((a) => a.top === top);
        const fresh =
          alone && settled?.top === top && performance.now() - settled.at < SETTLED_REUSE_MS;
        const before = fresh ? settled!.dirty : await dirtyPaths(top);
        settled = undefined;
        open.set(key(sprint.id, task.id, attempt), { top, startSeq: ++seq, before });
      }
      return undefined;
    },
    async endStep({ task, attempt, result, sprint }) {
      const k = key(sprint.id, task.id, attempt);
      const mine = open.get(k);
      if (!mine) return;
      try {
        if (!result.success) {
          // Whatever it changed stays out of other tasks' commits while it is as it was left.
          const now = await dirtyPaths(mine.top).catch(() => new Map<string, string>());
          const changes = new Map(
            [...now].filter(([path, stamp]) => mine.before.get(path) !== stamp),
          );
          if (changes.size) unfinished.push({ top: mine.top, endSeq: ++seq, changes });
        }
      } finally {
        open.delete(k);
        forgetOldUnfinished();
      }
    },
    async afterStep(ctx) {
      const { task, attempt, result, sprint, projectDir, runtimeDir, stateFiles } = ctx;
      const k = key(sprint.id, task.id, attempt);
      const mine = open.get(k);
      if (ctx.isolated || !result.success || !enabled(sprint.config.autoCommit)) return undefined;
      if (mine) mine.completing = true;
      const top = await topOf(projectDir);
      if (!top) return undefined;
      const dirtyBefore = mine?.before ?? new Map<string, string>();
      const keepOut = new Set(
        runnerFiles(stateFiles, runtimeDir)
          .map((f) => relative(top, f))
          .filter((f) => f && !f.startsWith('..') && !isAbsolute(f)),
      );
      const subject = `sprint(${sprint.id}): ${task.id}: ${taskLabel(task)}`.slice(0, 100);
      const message = [
        result.summary.trim(),
        '',
        `Sprint: ${sprint.name} (${sprint.id})`,
        `Task: ${task.id} (${task.type})`,
      ]
        .join('\n')
        .trim();
      try {
        const others = [...open]
          .filter(([o, a]) => o !== k && a.top === top && !a.completing)
          .map(([, a]) => a);
        const overlapping = unfinished.filter(
          (u) => u.top === top && (!mine || u.endSeq > mine.startSeq),
        );
        const alone = ![...open].some(([o, a]) => o !== k && a.top === top);
        if (mine && alone && !overlapping.length) {
          // Alone in the working tree: every change but those it found there is its own,
          // so git need not be asked what changed first.
          const unchanged = await unchangedSince(top, dirtyBefore, keepOut);
          if (unchanged) {
            const committed = await serialised(top, () =>
              whileIndexLocked(() =>
                commitAllBut(top, [...unchanged.keys()], [...keepOut], subject, message),
              ),
            );
            settle(top, k, unchanged, []);
            if (!committed) return { passed: true, message: 'nothing to commit' };
            return {
              passed: true,
              message: `committed ${committed.sha}: ${plural(committed.files, 'file')}`,
            };
          }
        }
        const untracked = new Set<string>();
        const now = await dirtyPaths(top, untracked);
        const heldBack: string[] = [];
        const changed = [...now]
          .filter(([path, stamp]) => {
            if (dirtyBefore.get(path) === stamp || isRunnerFile(path, keepOut)) return false;
            const anothers =
              others.some((a) => a.before.get(path) !== stamp) ||
              overlapping.some((u) => u.changes.get(path) === stamp);
            if (anothers) heldBack.push(path);
            return !anothers;
          })
          .map(([path]) => path);
        const left = heldBack.length
          ? `; left uncommitted, as possibly another attempt's (running, or did not complete): ${heldBack.sort().join(', ')}`
          : '';
        // Files the task deleted that were clean before show as 'gone' now and are included above.
        if (changed.length === 0) {
          settle(top, k, now, []);
          return { passed: true, message: `nothing to commit${left}` };
        }
        const literal = (p: string) => `:(literal)${p}`;
        const pathspecs = changed.map(literal);
        const newFiles = changed.filter((p) => untracked.has(p)).map(literal);
        const committed = await serialised(top, () =>
          whileIndexLocked(() => commit(top, pathspecs, newFiles, subject, message)),
        );
        settle(top, k, now, committed ? changed : []);
        if (!committed) return { passed: true, message: `nothing to commit${left}` };
        const { sha, files } = committed;
        return {
          passed: true,
          message: `committed ${sha}: ${plural(files, 'file')}${left}`,
        };
      } catch (error) {
        return {
          passed: false,
          blocking: false,
          message: `git commit failed: ${(error as Error).message.split('\n')[0]}`,
        };
      }
    },
  };
}

/**
 * How soon after a commit the next attempt may start from what that commit
 * left instead of asking git: the runner starts the next task within
 * milliseconds; a later start (a retry wait, another run) asks git.
 */
const SETTLED_REUSE_MS = 3000;

/** Past this many paths to leave out, the hook asks git what changed instead (a command line has limits). */
const MAX_EXCLUDES = 1000;

/**
 * The paths that were dirty when the attempt started and are still exactly
 * as they were (the runner's files aside), stamped; undefined when there
 * are too many to leave out by name.
 */
async function unchangedSince(
  top: string,
  before: ReadonlyMap<string, string>,
  runnerFiles: ReadonlySet<string>,
): Promise<Map<string, string> | undefined> {
  const paths = [...before.keys()].filter((p) => !isRunnerFile(p, runnerFiles));
  if (paths.length > MAX_EXCLUDES) return undefined;
  const unchanged = new Map<string, string>();
  await Promise.all(
    paths.map(async (p) => {
      const st = await stat(join(top, p)).catch(() => undefined);
      const stamp = st ? `${st.mtimeMs}:${st.size}` : 'gone';
      if (before.get(p) === stamp) unchanged.set(p, stamp);
    }),
  );
  return unchanged;
}

/** A path as a literal pattern under git's `glob` pathspec magic. */
function globLiteral(path: string): string {
  return path.replace(/[\\*?[\]]/g, (c) => `\\${c}`);
}

/** What `git add` says, exiting 1 after adding the rest, when it was given ignored paths. */
// Multiline: warnings (autocrlf's "LF will be replaced by CRLF", say) may come first.
const IGNORED_PATHS = /^The following paths are ignored/m;

/** What `git commit` prints, exiting 1, when the paths hold no change. */
const NOTHING_TO_COMMIT = /nothing (added )?to commit|no changes added to commit/;
const NO_MATCH = /did not match any file\(s\) known to git/;

/**
 * Commits every change in the working tree but `unchanged` (dirty before the
 * task, untouched by it) and the runner's files and their temporary copies:
 * `git add -A` and `git commit` on the same pathspec, in one round trip to
 * the helper. Undefined when nothing changed.
 */
async function commitAllBut(
  top: string,
  unchanged: readonly string[],
  runnerFiles: readonly string[],
  subject: string,
  body: string,
): Promise<{ sha: string; files: number } | undefined> {
  const identity = await identityArgs(top);
  const pathspec = [
    '.',
    ...unchanged.map((p) => `:(exclude,literal)${p}`),
    ...runnerFiles.flatMap((p) => [
      `:(exclude,literal)${p}`,
      `:(exclude,glob)${globLiteral(p)}.tmp-*`,
    ]),
  ];
  const args = [...identity, ...COMMIT_ARGS, '-m', subject, '-m', body, '--', ...pathspec];
  const add = ['-c', 'advice.addIgnoredFile=false', 'add', '-A', '--', ...pathspec];
  // `add` exits 1, having added everything else, when a path it was given is ignored
  // (the runner's own files often are, and naming them to leave them out counts).
  const [added, out] = await gitSteps(top, [
    { args: add, allowFail: [1] },
    { args, allowFail: true },
  ]);
  if (added && added.code !== 0 && !IGNORED_PATHS.test(added.stderr)) {
    throw new GitCommandError(add, added);
  }
  if (!out) return undefined;
  if (out.code !== 0) {
    if (out.code === 1 && NOTHING_TO_COMMIT.test(out.stdout)) return undefined;
    // In a repository that tracks no file yet, git refuses the pathspecs themselves
    // ("did not match any file(s) known to git") when nothing was added.
    if (NO_MATCH.test(out.stderr) && !(await git(top, ['diff', '--cached', '--name-only']))) {
      return undefined;
    }
    throw new GitCommandError(args, out);
  }
  return commitSummary(out.stdout, 0);
}

/** `[main 1a2b3c4] subject` then ` 2 files changed, ...`: the summary saves two more spawns. */
function commitSummary(out: string, paths: number): { sha: string; files: number } {
  const sha = /^\[[^\]]*?\b([0-9a-f]{7,40})\]/m.exec(out)?.[1] ?? '';
  const files = Number(/(\d+) files? changed/.exec(out)?.[1] ?? paths);
  return { sha, files };
}

const COMMIT_ARGS = [
  // Not a `git maintenance run --auto` process after every task's commit: the person's
  // own next commit still runs it.
  '-c',
  'maintenance.auto=false',
  'commit',
  '--no-verify',
  '--no-status',
];

/** The user's own identity when git has one; a recognisable fallback otherwise. */
async function identityArgs(top: string): Promise<string[]> {
  let hasIdentity = identities.get(top);
  if (!hasIdentity) {
    hasIdentity = git(top, ['config', 'user.email']).then(
      (s) => s.trim() !== '',
      () => false,
    );
    identities.set(top, hasIdentity);
  }
  return (await hasIdentity) ? [] : ['-c', 'user.name=sprint', '-c', 'user.email=sprint@localhost'];
}

/** Whether git has an identity for commits here, asked once per repository. */
const identities = new Map<string, Promise<boolean>>();

/**
 * Commits exactly these paths (`newFiles`: those among them git does not track
 * yet); undefined when none of them holds a change. Two git processes at
 * most, in one round trip to the helper, one when no file is new: `git
 * commit -- paths` takes tracked changes and deletions itself, only new files
 * need `git add` first.
 */
async function commit(
  top: string,
  pathspecs: string[],
  newFiles: string[],
  subject: string,
  body: string,
): Promise<{ sha: string; files: number } | undefined> {
  const identity = await identityArgs(top);
  // Only these paths: whatever else the person had staged stays staged, uncommitted.
  const args = [...identity, ...COMMIT_ARGS, '-m', subject, '-m', body, '--', ...pathspecs];
  // New files are added first, in the same round trip to the helper.
  const outputs = await gitSteps(top, [
    ...(newFiles.length ? [{ args: ['add', '--', ...newFiles] }] : []),
    { args, allowFail: true },
  ]);
  const out = outputs.at(-1)!;
  if (out.code !== 0) {
    // Nothing of these paths left to commit (a parallel task's commit took them) is no failure.
    const staged = await git(top, ['diff', '--cached', '--name-only', '--', ...pathspecs]);
    if (!staged.trim()) return undefined;
    throw new GitCommandError(args, out);
  }
  return commitSummary(out.stdout, pathspecs.length);
}
