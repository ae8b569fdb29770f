import type { AgentResult } from '../model/agent-result.js';
import type { AgentActivity, RunEvent } from '../model/events.js';
import type { RetryPolicy, Task } from '../model/sprint.js';
import type { TaskCounts } from '../model/state.js';
import type { SprintStatus } from '../model/status.js';

/** What `onProgress` receives: when a task starts, while its agent works, and when it ends. */
export type Progress =
  | (ProgressBase & { kind: 'task-started'; task: Task; attempt: number; agent: string })
  | (ProgressBase & { kind: 'agent-activity'; task: Task; activity: AgentActivity })
  | (ProgressBase & {
      kind: 'task-finished';
      task: Task;
      attempt: number;
      result: AgentResult;
      /** What happens to the task next. */
      next: 'done' | 'retry' | 'retry-later' | 'blocked' | 'needs-human' | 'pending' | 'cancelled';
    })
  | (ProgressBase & { kind: 'sprint-status'; from: SprintStatus; to: SprintStatus });

export interface ProgressBase {
  sprintId: string;
  counts: TaskCounts;
  iterations: number;
  costUsd: number;
  elapsedMs: number;
}

export interface RunOptions {
  onProgress?: (progress: Progress) => void;
  /** Every event as it is stored, agent activity included. */
  onEvent?: (event: RunEvent) => void;
  /** Aborting it stops the run like `stop`: the running task goes back to pending. */
  signal?: AbortSignal;
  /** Agent runs this call may start (default 30, or the sprint's `max-iterations`). */
  maxIterations?: number;
  /** Distinct tasks this call may start (retries of one count once); default: the sprint's `max-tasks`, else no cap. */
  maxTasks?: number;
  /** Wall-clock limit of this call in ms, after which no further task starts; default: the sprint's `time-box`, else none. */
  timeBoxMs?: number;
  /** Tasks run at once (default 1, or the sprint's `concurrency`). */
  concurrency?: number;
  /** The sprint's total spend at which no further task starts (or the sprint's `max-cost-usd`). */
  maxCostUsd?: number;
  /** Per-task time limit in ms (default 30 minutes, or the sprint's `task-timeout`). */
  taskTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** The human's answer, for `resume` after needs-human. */
  answer?: string;
  /** A worktree per task (`worktree`), one shared tree (`shared`), or `auto`; overrides the sprint's `isolation`. */
  isolation?: 'auto' | 'worktree' | 'shared';
}

export interface ResumeOptions extends RunOptions {
  answer?: string;
}

/** Who asks for a `pause`, `stop` or `cancel`: recorded in its control event and said in the status. */
export interface ControlOptions {
  /** A person or program (`alice (cli)`, `api (127.0.0.1)`). Default: this process (`pid N on host`). */
  requestedBy?: string;
}

/** What `pause`, `stop` and `cancel` did. */
export interface ControlOutcome {
  action: 'pause' | 'stop' | 'cancel';
  /** `requested`: a live runner (here or in another process) was asked; `applied`: done directly; `not-running`: nothing to do. */
  outcome: 'requested' | 'applied' | 'not-running';
  status: SprintStatus;
}
