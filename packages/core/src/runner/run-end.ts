import type { HumanNeeded } from '../model/agent-result.js';
import type { StopReason } from '../model/events.js';
import type { SprintState } from '../model/state.js';
import type { SprintStatus } from '../model/status.js';
import type { Halt, Interrupt, PauseRequest } from './halt.js';

export interface RunEndInput {
  /** The loop itself failed with this reason. */
  failure?: string;
  interrupt?: Interrupt;
  halt?: Halt;
  /** A pause was asked for, or a task with `pause-after` is done. */
  pause?: PauseRequest;
  state: Pick<SprintState, 'tasks'>;
}

/** The sprint's status when a run ends, and why. */
export interface RunEnd {
  to: SprintStatus;
  stopReason: StopReason;
  reason?: string;
  humanNeeded?: { taskId: string } & HumanNeeded;
  /** A limit stopped the run: recorded as a `limit-reached` event too. */
  limit?: {
    limit: 'max-iterations' | 'max-cost' | 'task-timeout' | 'max-tasks' | 'time-box';
    detail: string;
  };
}

/**
 * How a run ends, before the before-completion hooks: an end, or
 * `check-completion` when every task is done or skipped and only those hooks
 * decide between completed and blocked (see {@link completionEnd}). A loop
 * failure wins, then cancel, stop, the run's halt and a pause (a stop or
 * pause with every task done completes: nothing is left to resume); when nothing
 * stopped it, an open question asks a person, and otherwise the tasks left
 * wait on work that is not done.
 */
export function runEnd(input: RunEndInput): RunEnd | 'check-completion' {
  const { interrupt, halt } = input;
  if (input.failure) {
    return {
      to: 'blocked',
      reason: input.failure,
      stopReason: { kind: 'blocked', reason: input.failure },
    };
  }
  if (interrupt?.kind === 'cancel') {
    return {
      to: 'cancelled',
      reason: interrupt.reason,
      stopReason: { kind: 'cancelled', reason: interrupt.reason },
    };
  }
  // A pause or stop that came while the last task finished leaves nothing to resume.
  const finished = allFinishedWell(input.state);
  if (interrupt?.kind === 'stop' && !finished) {
    const stopReason: StopReason = {
      kind: 'stopped',
      ...(interrupt.requestedBy ? { requestedBy: interrupt.requestedBy } : {}),
    };
    return { to: 'paused', reason: pauseText(stopReason), stopReason };
  }
  if (halt?.kind === 'needs-human') {
    const { kind: _, ...humanNeeded } = halt;
    return {
      to: 'needs-human',
      reason: halt.reason,
      humanNeeded,
      stopReason: { kind: 'needs-human', taskId: halt.taskId },
    };
  }
  if (halt?.kind === 'blocked') {
    return {
      to: 'blocked',
      reason: halt.reason,
      stopReason: { kind: 'blocked', taskId: halt.taskId, reason: halt.reason },
    };
  }
  if (halt?.kind === 'limit') {
    return {
      to: 'paused',
      reason: halt.detail,
      stopReason: { kind: 'limit', limit: halt.limit, detail: halt.detail },
      limit: { limit: halt.limit, detail: halt.detail },
    };
  }
  if (input.pause && !finished) {
    const { taskId, requestedBy } = input.pause;
    const stopReason: StopReason = {
      kind: 'paused',
      ...(taskId ? { taskId } : {}),
      ...(requestedBy ? { requestedBy } : {}),
    };
    return { to: 'paused', reason: pauseText(stopReason), stopReason };
  }
  if (finished) return 'check-completion';
  for (const [taskId, t] of Object.entries(input.state.tasks)) {
    if (t.status === 'blocked' && t.question) {
      return {
        to: 'needs-human',
        reason: t.question.reason,
        humanNeeded: { taskId, ...t.question },
        stopReason: { kind: 'needs-human', taskId },
      };
    }
  }
  const waiting = Object.entries(input.state.tasks)
    .filter(([, t]) => t.status === 'pending' || t.status === 'failed')
    .map(([id]) => id);
  const reason = `no task can run: ${waiting.join(', ')} wait${waiting.length === 1 ? 's' : ''} on tasks that are not done`;
  return { to: 'blocked', reason, stopReason: { kind: 'blocked', reason } };
}

/**
 * Why a run paused or stopped, in words: `paused after task a (pause-after)`,
 * `paused at the request of alice (cli)`, `stopped`.
 */
export function pauseText(stopReason: Extract<StopReason, { kind: 'paused' | 'stopped' }>): string {
  if (stopReason.kind === 'paused' && stopReason.taskId) {
    return `paused after task ${stopReason.taskId} (pause-after)`;
  }
  return `${stopReason.kind}${stopReason.requestedBy ? ` at the request of ${stopReason.requestedBy}` : ''}`;
}

/** The end of a run whose tasks are all done: completed, unless a before-completion hook blocked. */
export function completionEnd(blockingFailure: string | undefined): RunEnd {
  if (blockingFailure) {
    return {
      to: 'blocked',
      reason: blockingFailure,
      stopReason: { kind: 'blocked', reason: blockingFailure },
    };
  }
  return { to: 'completed', stopReason: { kind: 'completed' } };
}

/** Every task is done or skipped. */
function allFinishedWell(state: Pick<SprintState, 'tasks'>): boolean {
  for (const id in state.tasks) {
    const status = state.tasks[id]?.status;
    if (status !== 'done' && status !== 'skipped') return false;
  }
  return true;
}
