import type { NewRunEvent } from '../model/events.js';
import type { Attempt, SprintState } from '../model/state.js';
import { isSameProcessAlive, terminateProcessGroup } from '../process/process-group.js';

/** A task the log shows running whose runner is gone. */
export interface OrphanedAttempt {
  taskId: string;
  attempt: number;
  /** What became of processes it left on this host: `its orphaned agent (pid 7) was killed`. */
  ended?: string;
}

/** Who recovers: a new run (`resume`), or a control request applied with no runner alive. */
export type RecoveryBy = 'run' | 'pause' | 'stop' | 'cancel';

/**
 * Finds the tasks a dead runner left `running` and ends every process of
 * theirs still alive on this host. One path for a new run and for an
 * offline pause, stop or cancel.
 */
export async function endOrphanedAttempts(
  state: Pick<SprintState, 'tasks'>,
  host: string,
): Promise<OrphanedAttempt[]> {
  const orphans: OrphanedAttempt[] = [];
  for (const [taskId, t] of Object.entries(state.tasks)) {
    if (t.status !== 'running') continue;
    const attempt = t.attempts.at(-1);
    orphans.push({ taskId, attempt: attempt?.n ?? 1, ended: await endAttempt(attempt, host) });
  }
  return orphans;
}

async function endAttempt(attempt: Attempt | undefined, host: string): Promise<string | undefined> {
  if (attempt?.pid && attempt.host === host && isSameProcessAlive(attempt.pid, attempt.pidStart)) {
    const how = await terminateProcessGroup(attempt.pid);
    return `its orphaned agent (pid ${attempt.pid}) was ${how}`;
  }
  return undefined;
}

/**
 * The events that close orphaned attempts: a new run puts their tasks back to
 * pending (the attempt does not count); a cancel cancels them; a pause or stop
 * puts them back to pending.
 */
export function recoveryEvents(orphans: readonly OrphanedAttempt[], by: RecoveryBy): NewRunEvent[] {
  return orphans.map(({ taskId, attempt, ended }) => {
    if (by === 'run') {
      const detail = ['the runner ended while this task ran', ended].filter(Boolean).join('; ');
      return {
        type: 'task-finished',
        taskId,
        attempt,
        to: 'pending',
        outcome: 'interrupted',
        counted: false,
        error: { kind: 'crash', message: detail },
      };
    }
    return {
      type: 'task-finished',
      taskId,
      attempt,
      to: by === 'cancel' ? 'cancelled' : 'pending',
      outcome: by === 'cancel' ? 'cancelled' : 'interrupted',
      counted: false,
      error: { kind: 'cancelled', message: `the runner ended; ${by} applied` },
    };
  });
}
