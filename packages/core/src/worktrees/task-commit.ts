import { git, gitText, identityEnv } from './git.js';
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
export function taskCommitMessage(info: TaskCommitInfo): string {
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
 */
export async function commitTaskWork(
  wt: TaskWorktree,
  info: TaskCommitInfo,
  hidden: readonly string[],
  signal?: AbortSignal,
): Promise<string | undefined> {
  const cwd = wt.path;
  await git(cwd, ['add', '-A'], { signal });
  await git(cwd, ['reset', '-q', '--soft', wt.base], { signal });
  if (hidden.length) {
    // Whatever the agent put where the sprint's files live is not the task's work.
    await git(cwd, ['reset', '-q', wt.base, '--', ...hidden.map((p) => `:(literal)${p}`)], {
      signal,
      allowFail: true,
    });
  }
  const same = await git(cwd, ['diff', '--cached', '--quiet', wt.base], {
    signal,
    allowFail: true,
  });
  if (same.code === 0) return undefined;
  const env = await identityEnv(wt.top ?? cwd);
  await git(cwd, ['commit', '-q', '--no-verify', '-m', taskCommitMessage(info)], { signal, env });
  return gitText(cwd, ['rev-parse', 'HEAD'], { signal });
}
