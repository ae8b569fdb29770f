import { plural } from './plural.js';
/**
 * Every error @sprint/core throws on purpose has a stable `code`, a message a
 * person can act on, and (where it concerns a file) the file and field.
 * Expected outcomes of a run (blocked, paused, needs-human) are values in a
 * RunResult, never exceptions.
 */
export type SprintErrorCode =
  | 'INVALID_SPRINT'
  | 'ILLEGAL_TRANSITION'
  | 'SPRINT_NOT_FOUND'
  | 'SPRINT_LOCKED'
  /** Another live worker holds the clone a worker was given (`--clone-dir`). */
  | 'CLONE_HELD'
  /** A programming error: state written without holding the sprint's lock. */
  | 'NOT_LOCKED'
  | 'SPRINT_FINISHED'
  | 'UNKNOWN_AGENT'
  | 'INVALID_OPTIONS'
  | 'SPRINT_EXISTS'
  /** A task id the sprint does not have (skip, retry). */
  | 'TASK_NOT_FOUND'
  /** The task's status does not allow what was asked (skip a done task, retry a pending one). */
  | 'TASK_NOT_CHANGEABLE'
  /** Tasks could not be read from an outside source (GitHub); nothing was changed. */
  | 'IMPORT_FAILED'
  /** An m42 sprint names a workflow its project's `.claude/workflows/` does not have; nothing was written. */
  | 'WORKFLOW_NOT_FOUND'
  /** The sprint database could not be reached or refused the operation. */
  | 'DATABASE_UNAVAILABLE'
  /** An agent CLI the sprint would run is not installed. */
  | 'AGENT_NOT_INSTALLED'
  /** The runner's event log is gone or replaced, and nothing it wrote says where the sprint stands. */
  | 'LOG_LOST';

export class SprintError extends Error {
  readonly code: SprintErrorCode;
  constructor(code: SprintErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** One problem found in sprint data: where it is and how to fix it. */
export interface Issue {
  file?: string;
  /** A path to the field, for example `queue[2].depends-on`. */
  field?: string;
  line?: number;
  message: string;
  fix?: string;
  /** The known name closest to a misspelt one, for did-you-mean. */
  suggestion?: string;
}

export function formatIssue(issue: Issue): string {
  const where = [
    issue.file ? `${issue.file}${issue.line ? `:${issue.line}` : ''}` : undefined,
    issue.field,
  ]
    .filter(Boolean)
    .join(' ');
  return `${where ? `${where}: ` : ''}${issue.message}${issue.fix ? ` (fix: ${issue.fix})` : ''}`;
}

/** Sprint data that cannot be used as written. Nothing was changed on disk. */
export class InvalidSprintError extends SprintError {
  readonly issues: Issue[];
  constructor(issues: Issue[], options?: { cause?: unknown }) {
    const lines = issues.map((i) => `  - ${formatIssue(i)}`).join('\n');
    super(
      'INVALID_SPRINT',
      `Invalid sprint data (${plural(issues.length, 'problem')}):\n${lines}`,
      options,
    );
    this.issues = issues;
  }
}

export class IllegalTransitionError extends SprintError {
  readonly entity: 'sprint' | 'task';
  readonly from: string;
  readonly to: string;
  readonly id: string;
  constructor(entity: 'sprint' | 'task', id: string, from: string, to: string) {
    super('ILLEGAL_TRANSITION', `Illegal ${entity} transition for ${id}: ${from} -> ${to}`);
    this.entity = entity;
    this.id = id;
    this.from = from;
    this.to = to;
  }
}

export class SprintNotFoundError extends SprintError {
  readonly sprintId: string;
  constructor(id: string, where?: string, message?: string) {
    super(
      'SPRINT_NOT_FOUND',
      message ?? `Sprint not found: ${id}${where ? ` (looked in ${where})` : ''}`,
    );
    this.sprintId = id;
  }
}

export interface LockHolder {
  pid: number;
  host: string;
  runId: string;
  startedAt: string;
  /** The holder process's start time, to tell it from a later process reusing the PID. */
  pidStart?: string;
}

/** Another live runner holds this sprint. */
export class SprintLockedError extends SprintError {
  readonly holder: LockHolder | undefined;
  constructor(id: string, holder?: LockHolder) {
    super(
      'SPRINT_LOCKED',
      holder
        ? `Sprint ${id} is already running (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}). Pause or stop that run first, or wait for it to end.`
        : `Sprint ${id} is already running in another process.`,
    );
    this.holder = holder;
  }
}

/** The sprint is completed or cancelled: there is nothing to run. */
export class SprintFinishedError extends SprintError {
  readonly status: string;
  constructor(id: string, status: string) {
    super(
      'SPRINT_FINISHED',
      `Sprint ${id} is already ${status}; it takes no more work. Start a new sprint for the next tasks.`,
    );
    this.status = status;
  }
}

/**
 * The sprint's event log is gone, shorter, or another log than the one the
 * runner verified (by its record outside the project), and no checkpoint of
 * the runner's is left: what remains (PROGRESS.yaml, the document) may have
 * been written by anyone, so no run starts from it until a person trusts it.
 */
export class SprintLogLostError extends SprintError {
  readonly sprintId: string;
  constructor(sprintId: string, detail: string) {
    super(
      'LOG_LOST',
      `Sprint ${sprintId} is held: ${detail}, and no checkpoint of the runner's is left. What remains (PROGRESS.yaml or the sprint document) may have been written by anyone (a task's agent can reach the sprint's files), so nothing is run or recorded from it.`,
    );
    this.sprintId = sprintId;
  }
}

/** An agent name nobody provides; `issues` say where it was written, when that is known. */
export class UnknownAgentError extends SprintError {
  readonly issues: Issue[];
  constructor(message: string, issues: Issue[] = []) {
    super('UNKNOWN_AGENT', message);
    this.issues = issues;
  }
}

export class InvalidOptionsError extends SprintError {
  constructor(message: string) {
    super('INVALID_OPTIONS', message);
  }
}

/** A task a person named (skip, retry) that the sprint does not have. */
export class TaskNotFoundError extends SprintError {
  readonly taskId: string;
  constructor(sprintId: string, taskId: string, known: readonly string[]) {
    super(
      'TASK_NOT_FOUND',
      `Sprint ${sprintId} has no task ${JSON.stringify(taskId)}; its tasks: ${known.slice(0, 20).join(', ') || '(none)'}${known.length > 20 ? ', ...' : ''}.`,
    );
    this.taskId = taskId;
  }
}

/** A skip or retry the task's status does not allow; the message says what is possible. */
export class TaskNotChangeableError extends SprintError {
  readonly taskId: string;
  readonly status: string;
  constructor(taskId: string, status: string, message: string) {
    super('TASK_NOT_CHANGEABLE', message);
    this.taskId = taskId;
    this.status = status;
  }
}
