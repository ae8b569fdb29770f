import type { HumanNeeded } from '../model/agent-result.js';

/** Why a run stops starting tasks on its own: the first one found wins. */
export type Halt =
  | { kind: 'blocked'; taskId?: string; reason: string }
  | ({ kind: 'needs-human'; taskId: string } & HumanNeeded)
  | {
      kind: 'limit';
      limit: 'max-iterations' | 'max-cost' | 'task-timeout' | 'max-tasks' | 'time-box';
      detail: string;
    };

/** A request from outside to end the running agents now (`requestedBy`: who asked, when known). */
export type Interrupt = { kind: 'stop'; requestedBy?: string } | { kind: 'cancel'; reason: string };

/**
 * A request to start no more tasks and end once the running ones have: a person's
 * pause (`requestedBy`) or a planned break after a task with `pause-after` (`taskId`).
 */
export interface PauseRequest {
  taskId?: string;
  requestedBy?: string;
}

/** A cancel overrides a stop; otherwise the first interrupt wins. */
export function strongerInterrupt(current: Interrupt | undefined, next: Interrupt): Interrupt {
  return !current || next.kind === 'cancel' ? next : current;
}
