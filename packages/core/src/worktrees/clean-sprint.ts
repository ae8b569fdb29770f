import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { NewRunEvent } from '../model/events.js';
import { processStartTime } from '../process/process-group.js';
import type { SprintStore } from '../stores/sprint-store.js';
import { locateGitProject, WorktreeManager } from './worktree-manager.js';

/** What `cleanSprintWorktrees` removed. */
export interface CleanResult {
  /** False when the project is not in git (nothing to clean). */
  inGit: boolean;
  /** Branches and worktrees removed. */
  removed: string[];
  /**
   * The sprint's worktree folder, when it was there and went (with what
   * isolation remembered in it: meta.json, the target branch and base).
   */
  folder?: string;
}

/**
 * Removes every worktree and branch a sprint's isolation made, and its
 * folder (`sprint clean`). The caller makes sure no run holds the sprint.
 * Work already integrated stays on its branch; a blocked task's worktree
 * (kept for inspection) goes too.
 */
export async function cleanSprintWorktrees(input: {
  projectDir: string;
  sprintId: string;
}): Promise<CleanResult> {
  const project = await locateGitProject(input.projectDir);
  if (!project) return { inGit: false, removed: [] };
  const manager = new WorktreeManager({ project, sprintId: input.sprintId });
  const hadFolder = await stat(manager.home).then(
    (s) => s.isDirectory(),
    () => false,
  );
  const removed = await manager.clean();
  return { inGit: true, removed, ...(hadFolder ? { folder: manager.home } : {}) };
}

/**
 * `sprint clean` through the store: under the sprint's lock (throws
 * `SprintLockedError` while a run holds it), removes what the sprint's
 * isolation made and records each task worktree that went as `removed`
 * (as a run does), so `status` no longer lists it.
 */
export async function cleanSprint(input: {
  store: SprintStore;
  sprintId: string;
}): Promise<CleanResult> {
  const { store, sprintId } = input;
  const lock = await store.acquireLock(sprintId, {
    pid: process.pid,
    host: hostname(),
    runId: randomUUID(),
    startedAt: new Date().toISOString(),
    pidStart: processStartTime(process.pid),
  });
  try {
    const { projectDir, state } = await store.load(sprintId);
    const result = await cleanSprintWorktrees({ projectDir, sprintId });
    if (!result.inGit) return result;
    // Everything of the sprint is gone now: each worktree its state still lists went with it.
    const events: NewRunEvent[] = [];
    for (const [taskId, t] of Object.entries(state.tasks)) {
      const wt = t.worktree;
      if (!wt || wt.stage === 'removed' || !wt.path) continue;
      const [, attempt] = /-(\d+)$/.exec(wt.branch ?? '') ?? [];
      events.push({
        type: 'worktree',
        taskId,
        attempt: attempt ? Number(attempt) : undefined,
        stage: 'removed',
        branch: wt.branch,
        detail: 'removed by sprint clean',
      });
    }
    if (events.length) {
      await store.append(sprintId, events);
      await store.flush(sprintId);
    }
    return result;
  } finally {
    await lock.release();
  }
}
