import type { NewRunEvent } from '../model/events.js';
import type { Attempt, SprintState } from '../model/state.js';
import { isSameProcessAlive } from '../process/process-group.js';
import { endMarkedProcesses, markedProcesses, runMarker } from '../process/process-tree.js';

/** A task the log shows running whose runner is gone. */
export interface OrphanedAttempt {
  taskId: string;
  attempt: number;
  /** What became of processes it left on this host: `its orphaned process (pid 7) ended`. */
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
  graceMs = 5000,
): Promise<OrphanedAttempt[]> {
  const orphans: OrphanedAttempt[] = [];
  for (const [taskId, t] of Object.entries(state.tasks)) {
    if (t.status !== 'running') continue;
    const attempt = t.attempts.at(-1);
    orphans.push({
      taskId,
      attempt: attempt?.n ?? 1,
      ended: await endAttempt(taskId, attempt, host, graceMs),
    });
  }
  return orphans;
}

async function endAttempt(
  taskId: string,
  attempt: Attempt | undefined,
  host: string,
  graceMs: number,
): Promise<string | undefined> {
  if (!attempt || attempt.host !== host) return undefined;
  // The marker was logged before anything was spawned: it finds what the PID cannot
  // (a process spawned just before the kill, a verify command, tools in their own session).
  const marker = attempt.runId ? runMarker(attempt.runId, taskId, attempt.n) : undefined;
  const roots =
    attempt.pid && isSameProcessAlive(attempt.pid, attempt.pidStart) ? [attempt.pid] : [];
  const marked = marker ? markedProcesses(marker) : [];
  if (roots.length === 0 && marked.length === 0) return undefined;
  await endMarkedProcesses(marker, roots, graceMs);
  const pids = [...new Set([...roots, ...marked])].sort((a, b) => a - b);
  return `its orphaned process${pids.length === 1 ? '' : 'es'} (pid ${pids.join(', ')}) ended`;
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
