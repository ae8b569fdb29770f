import { git, gitSteps, gitText, identityEnv } from './git.js';
import type { TaskWorktree } from './worktree-manager.js';
import { taskTrailer } from './worktree-policy.js';

/** What a task's commit says about it. */
export interface TaskCommitInfo {
  sprintId: string;
  sprintName: string;
  taskId: string;
  taskType: string;
  label: string;
  summary: string;
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
 * Commits everything the attempt changed in its worktree as ONE commit on
 * top of the worktree's base: commits the agent made itself are folded in,
 * and the sprint's hidden paths are left out. Returns the commit, or
 * undefined when the task changed nothing.
 *
 * Plumbing, not `git commit`: stage and write the tree (one round trip to
 * the helper), compare it with the base's, make the commit and move the
 * branch: four git processes, three round trips.
 */
export async function commitTaskWork(
  wt: TaskWorktree,
  info: TaskCommitInfo,
  hidden: readonly string[],
  signal?: AbortSignal,
): Promise<string | undefined> {
  const cwd = wt.path;
  // Whatever the agent put where the sprint's files live is not the task's work.
  const outside = hidden.map((p) => `:(exclude,literal)${p}`);
  // Stage, then write the tree: one round trip to the helper.
  const staged = await gitSteps(
    cwd,
    [
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
      { args: ['write-tree'] },
    ],
    { signal },
  );
  const tree = staged.at(-1)!.stdout.trim();
  const baseTree =
    wt.baseTree ?? (await gitText(cwd, ['rev-parse', `${wt.base}^{tree}`], { signal }));
  if (tree === baseTree) return undefined;
  const env = await identityEnv(wt.top ?? cwd);
  const commit = await gitText(cwd, ['commit-tree', tree, '-p', wt.base, '-F', '-'], {
    signal,
    env,
    input: taskCommitMessage(info),
  });
  // The branch holds the commit, so a crash before integration leaves it to integrate, not redo.
  await git(cwd, ['update-ref', '-m', 'sprint: task commit', `refs/heads/${wt.branch}`, commit], {
    signal,
  });
  return commit;
}
