/** The status machine: which status may follow which. Pure, and free of zod so readers start fast. */
import { IllegalTransitionError } from './errors.js';

export const SPRINT_STATUSES = [
  'not-started',
  'in-progress',
  'paused',
  'blocked',
  'needs-human',
  'completed',
  'cancelled',
] as const;
export type SprintStatus = (typeof SPRINT_STATUSES)[number];

export const TASK_STATUSES = [
  'pending',
  'running',
  'done',
  'failed',
  'blocked',
  'skipped',
  'cancelled',
] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Which sprint status may follow which. Completed and cancelled are final. */
export const SPRINT_TRANSITIONS: Readonly<Record<SprintStatus, readonly SprintStatus[]>> = {
  'not-started': ['in-progress', 'cancelled'],
  'in-progress': ['paused', 'blocked', 'needs-human', 'completed', 'cancelled'],
  paused: ['in-progress', 'cancelled'],
  blocked: ['in-progress', 'cancelled'],
  'needs-human': ['in-progress', 'cancelled'],
  completed: [],
  cancelled: [],
};

/**
 * Which task status may follow which. `running -> pending` is an attempt that
 * was interrupted (stop, crash, rate limit) and will run again.
 */
export const TASK_TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  pending: ['running', 'skipped', 'cancelled', 'blocked'],
  running: ['done', 'failed', 'pending', 'blocked', 'cancelled'],
  failed: ['pending', 'running', 'blocked', 'skipped', 'cancelled'],
  blocked: ['pending', 'cancelled', 'skipped'],
  done: [],
  skipped: ['pending'],
  cancelled: [],
};

export function canTransitionSprint(from: SprintStatus, to: SprintStatus): boolean {
  return SPRINT_TRANSITIONS[from].includes(to);
}

export function canTransitionTask(from: TaskStatus, to: TaskStatus): boolean {
  return TASK_TRANSITIONS[from].includes(to);
}

/** The one place a sprint status changes: returns `to` or throws. */
export function transitionSprint(id: string, from: SprintStatus, to: SprintStatus): SprintStatus {
  if (!canTransitionSprint(from, to)) throw new IllegalTransitionError('sprint', id, from, to);
  return to;
}

/** The one place a task status changes: returns `to` or throws. */
export function transitionTask(id: string, from: TaskStatus, to: TaskStatus): TaskStatus {
  if (!canTransitionTask(from, to)) throw new IllegalTransitionError('task', id, from, to);
  return to;
}

export function isFinalSprintStatus(status: SprintStatus): boolean {
  return SPRINT_TRANSITIONS[status].length === 0;
}
