import type { AgentResult } from '../model/agent-result.js';
import type { NewRunEvent } from '../model/events.js';
import type { SprintDefinition, Task } from '../model/sprint.js';
import type { SprintState } from '../model/state.js';
import type { SprintStatus } from '../model/status.js';

/** What a run tells its workspaces when it starts, under the sprint's lock. */
export interface WorkspaceOpenContext {
  sprintId: string;
  definition: SprintDefinition;
  state: SprintState;
  projectDir: string;
  sprintDir?: string;
  runtimeDir?: string;
  stateFiles: string[];
  concurrency: number;
  /** `RunOptions.isolation`, which overrides the sprint's config. */
  isolation?: 'auto' | 'worktree' | 'shared';
  /** Appends events to the sprint's log (in order with the runner's own). */
  emit(events: NewRunEvent[]): void;
  signal: AbortSignal;
}

/** Where one attempt works, or the result it already has (its work was integrated before a crash). */
export type PreparedWorkspace = { projectDir: string } | { result: AgentResult };

/** What became of an attempt, once the runner decided. */
export type AttemptNext =
  | 'done'
  | 'retry'
  | 'retry-later'
  | 'blocked'
  | 'needs-human'
  | 'pending'
  | 'cancelled';

/**
 * The one seam between the runner and task isolation: a working directory
 * for each attempt before its agent runs, and the finished attempt handed
 * over afterwards (to commit and integrate it, which may turn success into a
 * conflict or a failed merge-verify).
 */
export interface TaskWorkspace {
  prepare(input: {
    task: Task;
    attempt: number;
    signal: AbortSignal;
    /** The attempt's run marker: commands the workspace starts (a merge-verify) carry it. */
    runMarker?: string;
  }): Promise<PreparedWorkspace>;
  finish(input: {
    task: Task;
    attempt: number;
    result: AgentResult;
    signal: AbortSignal;
    /** The attempt's run marker: commands the workspace starts (a merge-verify) carry it. */
    runMarker?: string;
    /**
     * Called once the attempt's work is committed and only waits for
     * integration: the attempt no longer needs a slot of its own, so the
     * next task may start (the task itself stays running until it is settled).
     */
    release?: () => void;
  }): Promise<AgentResult>;
  /** Called once the runner decided what comes next for the attempt. */
  settle(input: { task: Task; attempt: number; next: AttemptNext }): Promise<void>;
  /** At the end of the run, with the sprint's status then (a completed sprint leaves nothing behind). */
  close(input: { status: SprintStatus }): Promise<void>;
}

/** Makes a run's workspace; undefined means tasks share the project directory. */
export interface TaskWorkspaces {
  /** Before the run takes the sprint's lock: throws a usage error (and writes nothing) when the run cannot be isolated as asked. */
  check?(
    ctx: Pick<
      WorkspaceOpenContext,
      'definition' | 'projectDir' | 'sprintDir' | 'concurrency' | 'isolation'
    >,
  ): Promise<void>;
  open(ctx: WorkspaceOpenContext): Promise<TaskWorkspace | undefined>;
}
