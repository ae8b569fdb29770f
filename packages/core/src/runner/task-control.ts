import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { SprintFinishedError, TaskNotChangeableError, TaskNotFoundError } from '../model/errors.js';
import type { RunEvent } from '../model/events.js';
import { isFinalSprintStatus, type TaskStatus } from '../model/status.js';
import { processStartTime } from '../process/process-group.js';
import type { SprintStore } from '../stores/sprint-store.js';

/** Who asked and, for a skip, why: recorded in the task's `task-status` event. */
export interface TaskChangeRequest {
  /** A person or a place: `alice (cli)`, `dashboard`. */
  requestedBy: string;
  /** Why (required for a skip). */
  reason?: string;
}

export interface TaskChange {
  taskId: string;
  from: TaskStatus;
  to: TaskStatus;
  /** The `task-status` event as stored. */
  event: RunEvent;
}

const SKIPPABLE: ReadonlySet<TaskStatus> = new Set(['pending', 'failed', 'blocked']);
const RETRYABLE: ReadonlySet<TaskStatus> = new Set(['blocked', 'skipped']);

/**
 * Skips a pending, failed or blocked task: it becomes `skipped`, with who and
 * why in its `task-status` event. A skipped task counts as finished for its
 * dependents (they may run) and for the sprint's completion, as in the
 * original loop; `retryTask` brings it back.
 *
 * Only while no run holds the sprint (`SprintLockedError` otherwise: pause or
 * stop the run first), so that no runner's view of the task goes stale.
 */
export async function skipTask(
  store: SprintStore,
  sprintId: string,
  taskId: string,
  request: TaskChangeRequest,
): Promise<TaskChange> {
  const reason = request.reason?.trim() ?? '';
  if (!reason) {
    throw new TaskNotChangeableError(
      taskId,
      'unknown',
      `A reason is required to skip task ${taskId}: say why it is skipped.`,
    );
  }
  return change(store, sprintId, taskId, 'skipped', { ...request, reason }, (status) => {
    if (SKIPPABLE.has(status)) return null;
    if (status === 'running') return 'it is running: stop the run first, then skip it.';
    if (status === 'skipped') return 'it is already skipped.';
    return `it is ${status}; only a pending, failed or blocked task can be skipped.`;
  });
}

/**
 * Gives a blocked (or skipped) task another go: it becomes `pending` and runs
 * on the next `run`/`resume`. Its earlier attempts stay counted, so a task
 * blocked after its retries gets one more attempt before it blocks again.
 */
export async function retryTask(
  store: SprintStore,
  sprintId: string,
  taskId: string,
  request: TaskChangeRequest,
): Promise<TaskChange> {
  return change(store, sprintId, taskId, 'pending', request, (status) => {
    if (RETRYABLE.has(status)) return null;
    if (status === 'pending' || status === 'failed') {
      return `it is ${status}: it runs again when the sprint next runs or resumes.`;
    }
    if (status === 'running') return 'it is running.';
    return `it is ${status}; only a blocked or skipped task can be retried.`;
  });
}

async function change(
  store: SprintStore,
  sprintId: string,
  taskId: string,
  to: TaskStatus,
  request: TaskChangeRequest,
  refusal: (status: TaskStatus) => string | null,
): Promise<TaskChange> {
  const host = hostname();
  const lock = await store.acquireLock(sprintId, {
    pid: process.pid,
    host,
    runId: randomUUID(),
    startedAt: new Date().toISOString(),
    pidStart: processStartTime(process.pid),
  });
  try {
    const { definition, state } = await store.load(sprintId);
    if (isFinalSprintStatus(state.status)) throw new SprintFinishedError(sprintId, state.status);
    const task = state.tasks[taskId];
    if (!task) {
      throw new TaskNotFoundError(
        sprintId,
        taskId,
        definition.tasks.map((t) => t.id),
      );
    }
    const refused = refusal(task.status);
    if (refused) {
      const verb = to === 'skipped' ? 'skip' : 'retry';
      throw new TaskNotChangeableError(
        taskId,
        task.status,
        `Cannot ${verb} task ${taskId}: ${refused}`,
      );
    }
    const [event] = await store.append(sprintId, [
      {
        type: 'task-status',
        taskId,
        from: task.status,
        to,
        reason: request.reason ?? (to === 'pending' ? 'retried' : undefined),
        requestedBy: request.requestedBy,
      },
    ]);
    await store.flush(sprintId);
    return { taskId, from: task.status, to, event: event! };
  } finally {
    await lock.release();
  }
}
