import { z } from 'zod';
import {
  AgentErrorSchema,
  AgentResultSchema,
  HumanNeededSchema,
  TokenUsageSchema,
} from './agent-result.js';
import { ATTEMPT_OUTCOMES, LIMITS } from './kinds.js';
import { TaskSchema } from './sprint.js';
import { SprintStatusSchema, TaskStatusSchema } from './status.js';

/** What an agent is doing right now, streamed while a task runs. */
export const AgentActivitySchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('init'),
    sessionId: z.string().optional(),
    model: z.string().optional(),
  }),
  z.object({ kind: z.literal('text'), text: z.string() }),
  z.object({ kind: z.literal('tool-use'), tool: z.string(), input: z.string() }),
  z.object({
    kind: z.literal('tool-result'),
    tool: z.string().optional(),
    isError: z.boolean().default(false),
    output: z.string(),
  }),
  z.object({ kind: z.literal('usage'), tokens: TokenUsageSchema, costUsd: z.number().optional() }),
  z.object({ kind: z.literal('log'), stream: z.enum(['stdout', 'stderr']), line: z.string() }),
  z.object({ kind: z.literal('retry'), message: z.string() }),
]);
export type AgentActivity = z.infer<typeof AgentActivitySchema>;

export const AttemptOutcomeSchema = z.enum(ATTEMPT_OUTCOMES);
export type AttemptOutcome = z.infer<typeof AttemptOutcomeSchema>;

export const StopReasonSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('completed') }),
  z.object({
    kind: z.literal('paused'),
    /** The task whose `pause-after` paused the run, when a planned break did. */
    taskId: z.string().optional(),
    /** Who asked for the pause (`sprint pause`, the API), when someone did. */
    requestedBy: z.string().optional(),
  }),
  z.object({
    kind: z.literal('stopped'),
    /** Who asked for the stop, when someone did. */
    requestedBy: z.string().optional(),
  }),
  z.object({ kind: z.literal('cancelled'), reason: z.string() }),
  z.object({ kind: z.literal('blocked'), taskId: z.string().optional(), reason: z.string() }),
  z.object({ kind: z.literal('needs-human'), taskId: z.string() }),
  z.object({
    kind: z.literal('limit'),
    limit: z.enum(LIMITS),
    detail: z.string(),
  }),
  z.object({ kind: z.literal('interrupted'), detail: z.string() }),
]);
export type StopReason = z.infer<typeof StopReasonSchema>;

/**
 * Where a task's isolated work stands: `created` (its worktree exists),
 * `queued`, `verifying`, `waiting-for-user`, `integrated`, `conflicted`,
 * `verify-failed`, `kept` (left for a person), `removed`; `mode` and
 * `recovered` are about the whole run.
 */
export const WorktreeStageSchema = z.enum([
  'mode',
  'created',
  'queued',
  'verifying',
  'waiting-for-user',
  'integrated',
  'conflicted',
  'verify-failed',
  'kept',
  'removed',
  'recovered',
]);
export type WorktreeStage = z.infer<typeof WorktreeStageSchema>;

/** The part of an estimated cost priced at the price table's `*` fallback, and why. */
export const FallbackPricingSchema = z.object({
  /** The sum of those attempts' costs. */
  costUsd: z.number().nonnegative(),
  /** Models the table does not know, in the order first met. */
  models: z.array(z.string()),
  /** True when some attempt's model was unknown (the agent did not say and none was configured). */
  unknownModel: z.boolean(),
});
export type FallbackPricing = z.infer<typeof FallbackPricingSchema>;

const base = {
  seq: z.number().int().positive(),
  at: z.string(),
  sprintId: z.string(),
};

/**
 * Every event of a run. Events are appended to the sprint's log in order; the
 * sprint's state is a fold of them (see `applyEvent`).
 */
export const RunEventSchema = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('run-started'),
    runId: z.string(),
    pid: z.number().int(),
    host: z.string(),
    resumed: z.boolean(),
  }),
  z.object({
    ...base,
    type: z.literal('sprint-status'),
    from: SprintStatusSchema,
    to: SprintStatusSchema,
    reason: z.string().optional(),
    stopReason: StopReasonSchema.optional(),
    humanNeeded: HumanNeededSchema.extend({ taskId: z.string() }).optional(),
  }),
  z.object({
    ...base,
    type: z.literal('task-started'),
    taskId: z.string(),
    attempt: z.number().int().positive(),
    agent: z.string(),
    runId: z.string(),
    host: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal('agent-pid'),
    taskId: z.string(),
    pid: z.number().int().nullable(),
    /** The process's start time, to tell it from a later process reusing the PID. */
    pidStart: z.string().optional(),
  }),
  z.object({
    ...base,
    type: z.literal('agent-activity'),
    taskId: z.string(),
    activity: AgentActivitySchema,
  }),
  z.object({
    ...base,
    type: z.literal('task-finished'),
    taskId: z.string(),
    attempt: z.number().int().positive(),
    to: TaskStatusSchema,
    outcome: AttemptOutcomeSchema,
    /** Whether this attempt counts against the retry policy. */
    counted: z.boolean(),
    result: AgentResultSchema.optional(),
    error: AgentErrorSchema.optional(),
    /** Earliest time the task may start again (retry delay, rate-limit reset). */
    notBefore: z.string().optional(),
  }),
  z.object({
    ...base,
    type: z.literal('task-status'),
    taskId: z.string(),
    from: TaskStatusSchema,
    to: TaskStatusSchema,
    reason: z.string().optional(),
    /** Who asked for the change, when a person did (`sprint skip`, `sprint retry`, the dashboard). */
    requestedBy: z.string().optional(),
  }),
  z.object({
    ...base,
    type: z.literal('deferred-items'),
    items: z.array(z.string()),
    source: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal('human-answer'),
    taskId: z.string().optional(),
    question: z.string().optional(),
    answer: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal('hook'),
    hook: z.string(),
    point: z.enum([
      'before-sprint',
      'before-step',
      'after-step',
      'before-completion',
      'after-completion',
    ]),
    taskId: z.string().optional(),
    passed: z.boolean(),
    blocking: z.boolean(),
    message: z.string().optional(),
  }),
  z.object({
    ...base,
    type: z.literal('control'),
    action: z.enum(['pause', 'stop', 'cancel']),
    reason: z.string().optional(),
    requestedBy: z.string().optional(),
  }),
  z.object({ ...base, type: z.literal('limit-reached'), limit: z.string(), detail: z.string() }),
  z.object({ ...base, type: z.literal('tasks-added'), tasks: z.array(TaskSchema) }),
  z.object({
    ...base,
    type: z.literal('run-ended'),
    runId: z.string(),
    status: SprintStatusSchema,
    stopReason: StopReasonSchema,
    iterations: z.number().int().nonnegative(),
    costUsd: z.number().nonnegative(),
    /** The part of `costUsd` priced from tokens with the price table. */
    estimatedCostUsd: z.number().nonnegative().optional(),
    /** The part of that estimate priced at the table's `*` fallback; absent when none was. */
    fallbackPricing: FallbackPricingSchema.optional(),
  }),
  z.object({
    ...base,
    /** A task's worktree and its way through the merge queue (isolation: worktree). */
    type: z.literal('worktree'),
    taskId: z.string().optional(),
    attempt: z.number().int().positive().optional(),
    stage: WorktreeStageSchema,
    branch: z.string().optional(),
    path: z.string().optional(),
    /** The integrated commit (integrated), or the candidate being verified. */
    commit: z.string().optional(),
    detail: z.string().optional(),
  }),
  z.object({
    ...base,
    type: z.literal('tampering'),
    file: z.string(),
    detail: z.string(),
    taskIds: z.array(z.string()),
    quarantined: z.string().optional(),
  }),
  z.object({
    ...base,
    type: z.literal('log'),
    level: z.enum(['info', 'warn', 'error']),
    message: z.string(),
    taskId: z.string().optional(),
  }),
]);
export type RunEvent = z.infer<typeof RunEventSchema>;
export type RunEventType = RunEvent['type'];

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An event before the store numbers and stamps it. */
export type NewRunEvent = DistributiveOmit<RunEvent, 'seq' | 'at' | 'sprintId'> & { at?: string };
