import { formatIssue, type Issue, SprintError } from '../model/errors.js';

/** Why a source of tasks could not be read. */
export type ImportFailureKind =
  /** The token was refused (401) or lacks access (403 without a rate limit). */
  | 'auth'
  /** No such repository (or it is private and the token cannot see it), or no such milestone. */
  | 'not-found'
  /** A rate limit that resets later than the caller will wait. */
  | 'rate-limited'
  /** The server could not be reached, or answered something other than the API. */
  | 'unavailable';

/** Tasks could not be imported from an outside source (GitHub). Nothing was changed. */
export class ImportSourceError extends SprintError {
  readonly kind: ImportFailureKind;
  /** For `rate-limited`: when the limit resets. */
  readonly retryAt?: Date;
  constructor(
    kind: ImportFailureKind,
    message: string,
    options?: { cause?: unknown; retryAt?: Date },
  ) {
    super('IMPORT_FAILED', message, options);
    this.kind = kind;
    this.retryAt = options?.retryAt;
  }
}

/** An m42 sprint names a workflow that its project's `.claude/workflows/` does not have. Nothing was written. */
export class M42WorkflowNotFoundError extends SprintError {
  /** Each place a missing workflow is named: file, line, field and fix. */
  readonly issues: Issue[];
  constructor(issues: Issue[]) {
    const lines = issues.map((i) => `  - ${formatIssue(i)}`).join('\n');
    super('WORKFLOW_NOT_FOUND', `An m42 workflow the sprint needs is missing:\n${lines}`);
    this.issues = issues;
  }
}
