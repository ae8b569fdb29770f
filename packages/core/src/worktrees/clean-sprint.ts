import { locateGitProject, WorktreeManager } from './worktree-manager.js';

/** What `cleanSprintWorktrees` removed. */
export interface CleanResult {
  /** False when the project is not in git (nothing to clean). */
  inGit: boolean;
  /** Branches and worktrees removed. */
  removed: string[];
}

/**
 * Removes every worktree and branch a sprint's isolation made, and its
 * folder in the git directory (`sprint clean`). The caller makes sure no run
 * holds the sprint. Work already integrated stays on its branch; a blocked
 * task's worktree (kept for inspection) goes too.
 */
export async function cleanSprintWorktrees(input: {
  projectDir: string;
  sprintId: string;
}): Promise<CleanResult> {
  const project = await locateGitProject(input.projectDir);
  if (!project) return { inGit: false, removed: [] };
  const manager = new WorktreeManager({ project, sprintId: input.sprintId });
  return { inGit: true, removed: await manager.clean() };
}
