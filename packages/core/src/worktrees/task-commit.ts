import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type GitStep, gitSteps, identityEnv } from './git.js';
import { looseBranchHead, unfinishedGitState, worktreeGitDir } from './git-files.js';
import type { TaskWorktree } from './worktree-manager.js';
import {
  type ChangedPath,
  COMMIT_DIFF,
  type CommitDiff,
  commitOutcome,
  parseCommitDiff,
  taskTrailer,
} from './worktree-policy.js';

/** What a task's commit says about it. */
export interface TaskCommitInfo {
  sprintId: string;
  sprintName: string;
  taskId: string;
  taskType: string;
  label: string;
  summary: string;
}

/** A task's one commit, with what integrating it needs to know (so the merge queue need not ask git). */
export interface TaskCommit {
  commit: string;
  /** Its one parent: the worktree's base. */
  parent: string;
  message: string;
  /** Its tree, and what it changes against its parent, when the commit step learned them. */
  tree?: string;
  changed?: ChangedPath[];
}

/** The subject and body of a task's commit: sprint and task named, with a trailer to find it by. */
function taskCommitMessage(info: TaskCommitInfo): string {
  const subject = `sprint(${info.sprintId}): ${info.taskId}: ${info.label}`.slice(0, 100);
  const body = info.summary.trim();
  return [
    subject,
    '',
    ...(body ? [body, ''] : []),
    `Sprint: ${info.sprintName} (${info.sprintId})`,
    `Task: ${info.taskId} (${info.taskType})`,
    taskTrailer(info.sprintId, info.taskId),
    '',
  ].join('\n');
}

/**
 * `git commit` as plumbing would make it: no hook of the user's runs, nothing
 * is signed (a prompt for a passphrase would hang the run), no maintenance
 * starts, and the message is kept as written (a `#` line of the summary is
 * not a comment).
 */
const PLAIN_COMMIT = [
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'commit.gpgSign=false',
  '-c',
  'maintenance.auto=false',
  '-c',
  'gc.auto=0',
  'commit',
  '-q',
  '--no-verify',
  '--cleanup=verbatim',
  '--untracked-files=no',
  '-F',
  '-',
];

/**
 * Commits everything the attempt changed in its worktree as ONE commit on
 * top of the worktree's base: commits the agent made itself are folded in,
 * and the sprint's hidden paths are left out. Returns the commit, or
 * undefined when the task changed nothing.
 */
export async function commitTaskWork(
  wt: TaskWorktree,
  info: TaskCommitInfo,
  hidden: readonly string[],
  signal?: AbortSignal,
): Promise<string | undefined> {
  return (await commitTask(wt, info, hidden, signal))?.commit;
}

/**
 * `commitTaskWork`, with what the merge queue needs of the commit. Where the
 * worktree is as the runner left it (on its branch, at its base, nothing of
 * the agent's under way), one round trip: stage and `git commit`, the commit
 * read from the branch's ref file (the merge queue asks git what it changes
 * only if it needs that). Where the agent moved the branch, `diff-tree` in
 * the same round trip says how; where it committed itself, left HEAD
 * elsewhere or an operation under way, plumbing folds the work into one
 * commit on the base.
 */
export async function commitTask(
  wt: TaskWorktree,
  info: TaskCommitInfo,
  hidden: readonly string[],
  signal?: AbortSignal,
): Promise<TaskCommit | undefined> {
  const cwd = wt.path;
  const message = taskCommitMessage(info);
  const env = await identityEnv(wt.top ?? cwd);
  const staging = stageSteps(wt, hidden);
  const state = await branchState(wt);
  if (state) {
    // The branch still at the base: the commit's parent is the base, and its id is in the ref file.
    const atBase = state.at === wt.base;
    const outs = await gitSteps(
      cwd,
      [
        ...staging,
        { args: PLAIN_COMMIT, input: message, allowFail: [1] },
        ...(atBase ? [] : [{ args: [...COMMIT_DIFF, 'HEAD'] }]),
      ],
      { signal, env },
    );
    const committed = outs[staging.length]!;
    const after = atBase ? await looseBranchHead(state.commonDir, wt.branch) : undefined;
    const head: CommitDiff = atBase
      ? { commit: after ?? '', tree: '', parents: after === wt.base ? [] : [wt.base], changed: [] }
      : parseCommitDiff(outs.at(-1)!.stdout);
    const outcome = head.commit ? commitOutcome({ ...committed, base: wt.base, head }) : 'fold';
    if (outcome === 'unchanged') return undefined;
    if (outcome === 'committed') {
      return {
        commit: head.commit,
        parent: wt.base,
        message,
        ...(atBase ? {} : { tree: head.tree, changed: head.changed }),
      };
    }
  }
  return foldCommit(wt, message, staging, env, signal);
}

/** Stages the attempt's work, the sprint's hidden paths left out. */
function stageSteps(wt: TaskWorktree, hidden: readonly string[]): GitStep[] {
  // Whatever the agent put where the sprint's files live is not the task's work.
  const outside = hidden.map((p) => `:(exclude,literal)${p}`);
  return [
    { args: ['add', '-A', '--', '.', ...outside] },
    // Nor is an index entry the agent changed there with git itself.
    ...(hidden.length
      ? [
          {
            args: ['reset', '-q', wt.base, '--', ...hidden.map((p) => `:(literal)${p}`)],
            allowFail: true,
          },
        ]
      : []),
  ];
}

/**
 * Plumbing, for a worktree the agent left otherwise (its own commits, another
 * branch, a merge under way): write the staged tree, and unless it is the
 * base's, make a commit of it on the base and move the branch there.
 */
async function foldCommit(
  wt: TaskWorktree,
  message: string,
  staging: GitStep[],
  env: Record<string, string>,
  signal?: AbortSignal,
): Promise<TaskCommit | undefined> {
  const cwd = wt.path;
  const staged = await gitSteps(
    cwd,
    [
      ...staging,
      { args: ['write-tree'] },
      ...(wt.baseTree ? [] : [{ args: ['rev-parse', `${wt.base}^{tree}`] }]),
    ],
    { signal },
  );
  const tree = staged[staging.length]!.stdout.trim();
  const baseTree = wt.baseTree ?? staged.at(-1)!.stdout.trim();
  if (tree === baseTree) return undefined;
  // The branch holds the commit, so a crash before integration leaves it to integrate, not redo.
  const [made, , diff] = await gitSteps(
    cwd,
    [
      { args: ['commit-tree', tree, '-p', wt.base, '-F', '-'], input: message },
      {
        args: [
          'update-ref',
          '-m',
          'sprint: task commit',
          `refs/heads/${wt.branch}`,
          { stdoutOf: 0 },
        ],
      },
      { args: [...COMMIT_DIFF, { stdoutOf: 0 }] },
    ],
    { signal, env },
  );
  const commit = made!.stdout.trim();
  return { commit, parent: wt.base, tree, message, changed: parseCommitDiff(diff!.stdout).changed };
}

/**
 * Where the worktree's branch is (its loose ref; undefined `at` when git keeps
 * it otherwise), when its HEAD still names that branch and nothing of the
 * agent's is under way in it (a merge, a rebase, a cherry-pick, a lock): then
 * `git commit` makes the task's commit on the branch. Undefined otherwise.
 * Read from git's files.
 */
async function branchState(
  wt: TaskWorktree,
): Promise<{ commonDir: string; at: string | undefined } | undefined> {
  const gitDir = await worktreeGitDir(wt.path).catch(() => undefined);
  if (!gitDir) return undefined;
  const [head, common] = await Promise.all(
    ['HEAD', 'commondir'].map((f) => readFile(join(gitDir, f), 'utf8').catch(() => '')),
  );
  if (head!.trim() !== `ref: refs/heads/${wt.branch}` || !common!.trim()) return undefined;
  if (await unfinishedGitState(gitDir)) return undefined;
  const commonDir = resolve(gitDir, common!.trim());
  return { commonDir, at: await looseBranchHead(commonDir, wt.branch) };
}
