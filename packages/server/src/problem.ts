import { SprintError, storageFailure } from '@sprint/core';
import type { Context } from 'hono';
import { z } from 'zod';

/** The media type of every error body (RFC 9457). */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** One field that failed validation, named by its path (`tasks.0.id`). */
const FieldIssueSchema = z.object({
  field: z.string(),
  message: z.string(),
});
export type FieldIssue = z.infer<typeof FieldIssueSchema>;

/** Every error body: RFC 9457 problem details plus a stable `code`. */
export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: z.string(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  issues: z.array(FieldIssueSchema).optional(),
});
export type Problem = z.infer<typeof ProblemSchema>;

/** The stable codes this API answers with, beside the core's `SprintErrorCode`s. */
export type ApiErrorCode =
  | 'UNAUTHORIZED'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'SPRINT_NOT_FOUND'
  | 'MALFORMED_JSON'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAYLOAD_TOO_LARGE'
  | 'VALIDATION_FAILED'
  /** A request's `config.notify` names a URL the server does not allow. */
  | 'NOTIFY_URL_NOT_ALLOWED'
  /** No agent would run some of the sprint's tasks: the run's body must name one (`agent`). */
  | 'AGENT_REQUIRED'
  | 'UNKNOWN_AGENT'
  | 'AGENT_NOT_INSTALLED'
  | 'NOT_RUNNING'
  | 'NO_RESULT'
  | 'TOO_MANY_SUBSCRIBERS'
  | 'SHUTTING_DOWN'
  | 'INTERNAL';

/**
 * An error the API answers with on purpose: an HTTP status, a stable code and
 * a message a person can act on. Anything else thrown in a handler is a bug
 * and answers 500 with no detail.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly issues: FieldIssue[] | undefined;
  constructor(
    status: number,
    code: ApiErrorCode | string,
    message: string,
    options?: { issues?: FieldIssue[]; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.issues = options?.issues;
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
};

/** The HTTP status for each error code of @sprint/core. */
const CORE_STATUS: Record<string, number> = {
  INVALID_SPRINT: 422,
  INVALID_OPTIONS: 422,
  UNKNOWN_AGENT: 422,
  // The server lacks the agent's program: nothing a client can fix by asking again.
  AGENT_NOT_INSTALLED: 503,
  SPRINT_NOT_FOUND: 404,
  SPRINT_LOCKED: 409,
  // The runner's log is gone and what is left is not its: a person decides (sprint resume --trust-files).
  LOG_LOST: 409,
  SPRINT_FINISHED: 409,
  SPRINT_EXISTS: 409,
  ILLEGAL_TRANSITION: 409,
  TASK_NOT_FOUND: 404,
  TASK_NOT_CHANGEABLE: 409,
};

/** Builds the problem body of an error; unknown errors give a bare 500. */
export function toProblem(error: unknown, instance?: string): Problem {
  if (error instanceof ApiError) {
    return problem(error.status, error.code, error.message, instance, error.issues);
  }
  const storage = storageFailure(error);
  if (storage) {
    // The server's own disk refused: say why (not where: file names stay on the server).
    const full = storage.errno === 'ENOSPC' || storage.errno === 'EDQUOT';
    const detail = storage.message.replace(
      /^cannot use .*?: /,
      "cannot write the sprint's files: ",
    );
    return problem(full ? 507 : 503, 'STORAGE_FAILED', `${detail}; ${storage.fix}`, instance);
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (code in CORE_STATUS || error instanceof SprintError)) {
    // A core error raised on purpose is never a 500, even one this map does not know yet.
    const status = CORE_STATUS[code] ?? 400;
    const issues = coreIssues(error);
    return problem(status, code, (error as Error).message, instance, issues);
  }
  return problem(500, 'INTERNAL', 'The server failed to answer; see its log.', instance);
}

function problem(
  status: number,
  code: string,
  detail: string,
  instance?: string,
  issues?: FieldIssue[],
): Problem {
  return {
    type: `urn:sprint:problem:${code.toLowerCase().replaceAll('_', '-')}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    detail,
    ...(instance ? { instance } : {}),
    ...(issues?.length ? { issues } : {}),
  };
}

/** `InvalidSprintError.issues` as field issues (the file names stay on the server). */
function coreIssues(error: unknown): FieldIssue[] | undefined {
  const issues = (error as { issues?: unknown }).issues;
  if (!Array.isArray(issues)) return undefined;
  return issues.map((i: { field?: string; message?: string; fix?: string }) => ({
    field: i.field ?? '',
    message: `${i.message ?? ''}${i.fix ? ` (fix: ${i.fix})` : ''}`,
  }));
}

/** Answers with a problem body. */
export function problemResponse(c: Context, body: Problem, headers?: Record<string, string>) {
  return c.body(JSON.stringify(body), body.status as 400, {
    'content-type': PROBLEM_MEDIA_TYPE,
    ...headers,
  });
}
