/*
 * The values of the model's enumerations, apart from the zod schemas built on
 * them: reading a sprint's files checks values against these without loading zod.
 */

/** Why an agent run failed. Each kind has one reaction in the runner (see `failureReaction`). */
export const AGENT_ERROR_KINDS = [
  'auth',
  'rate-limit',
  'overloaded',
  'usage-limit',
  'max-turns',
  'budget',
  'timeout',
  'idle',
  'cancelled',
  'crash',
  'invalid-output',
  'binary-missing',
  'config',
  'api-error',
  'blocked',
  'failed',
  'verify',
  'hook',
  /** The task's work conflicts with work integrated meanwhile (isolation: worktree). */
  'conflict',
] as const;

/** How an agent's attempt at a task ended. */
export const ATTEMPT_OUTCOMES = [
  'success',
  'failed',
  'needs-human',
  'interrupted',
  'rate-limited',
  'timeout',
  'cancelled',
] as const;

/** The limits that stop a run (a `limit` stop reason). */
export const LIMITS = [
  'max-iterations',
  'max-cost',
  'task-timeout',
  'max-tasks',
  'time-box',
] as const;
