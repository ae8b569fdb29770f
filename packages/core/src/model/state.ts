import { z } from 'zod';
import { AgentErrorSchema, HumanNeededSchema, TokenUsageSchema } from './agent-result.js';
import { AttemptOutcomeSchema, StopReasonSchema, WorktreeStageSchema } from './events.js';
import { SprintStatusSchema, TaskStatusSchema } from './status.js';
import { ZERO_TOKENS } from './usage.js';

export const AttemptSchema = z.object({
  n: z.number().int().positive(),
  agent: z.string(),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  host: z.string().optional(),
  /** The run that made this attempt; with the task and number it names the attempt's processes (see `runMarker`). */
  runId: z.string().optional(),
  pid: z.number().int().nullable().optional(),
  pidStart: z.string().optional(),
  outcome: AttemptOutcomeSchema.optional(),
  counted: z.boolean().optional(),
  error: AgentErrorSchema.optional(),
  sessionId: z.string().optional(),
  /** Why the git-commit hook could not commit this attempt's work (the task is done without its commit). */
  commitError: z.string().optional(),
  costUsd: z.number().nonnegative().optional(),
  /** True when `costUsd` was priced from tokens with the price table, not reported by the provider. */
  costEstimated: z.boolean().optional(),
  /** The model an estimated cost was priced for, when known. */
  costModel: z.string().optional(),
  /** True when the estimate used the price table's `*` fallback (model unknown or not in the table). */
  costFallback: z.boolean().optional(),
  durationMs: z.number().nonnegative().optional(),
});
export type Attempt = z.infer<typeof AttemptSchema>;

export const TaskStateSchema = z.object({
  status: TaskStatusSchema,
  attempts: z.array(AttemptSchema).default([]),
  startedAt: z.string().optional(),
  completedAt: z.string().optional(),
  summary: z.string().optional(),
  reason: z.string().optional(),
  blockedAt: z.string().optional(),
  notBefore: z.string().optional(),
  filesChanged: z.array(z.string()).optional(),
  /** The question a person must answer before this task can run again (needs-human). */
  question: HumanNeededSchema.optional(),
  costUsd: z.number().nonnegative().default(0),
  tokens: TokenUsageSchema.default(ZERO_TOKENS),
  durationMs: z.number().nonnegative().default(0),
  /** The task's worktree and merge-queue stage, under isolation. */
  worktree: z
    .object({
      stage: WorktreeStageSchema,
      branch: z.string().optional(),
      path: z.string().optional(),
      commit: z.string().optional(),
      detail: z.string().optional(),
    })
    .optional(),
});
export type TaskState = z.infer<typeof TaskStateSchema>;

/** A foreign write found in one of the runner's files, and what became of it. */
const TamperingSchema = z.object({
  at: z.string(),
  /** The runner file that was written (events.jsonl, state.json, PROGRESS.yaml...). */
  file: z.string(),
  detail: z.string(),
  /** The tasks that were running when it was found (the likely writers). */
  taskIds: z.array(z.string()),
  /** Where the foreign bytes were moved, beside the log. */
  quarantined: z.string().optional(),
});
export type Tampering = z.infer<typeof TamperingSchema>;

export const SprintStateSchema = z.object({
  status: SprintStatusSchema,
  startedAt: z.string().optional(),
  completedAt: z.string().optional(),
  updatedAt: z.string().optional(),
  tasks: z.record(z.string(), TaskStateSchema),
  deferredItems: z.array(z.string()).default([]),
  humanNeeded: HumanNeededSchema.extend({ taskId: z.string() }).optional(),
  humanAnswer: z
    .object({ taskId: z.string().optional(), question: z.string().optional(), answer: z.string() })
    .optional(),
  reason: z.string().optional(),
  stopReason: StopReasonSchema.optional(),
  iterations: z.number().int().nonnegative().default(0),
  costUsd: z.number().nonnegative().default(0),
  tokens: TokenUsageSchema.default(ZERO_TOKENS),
  /**
   * Writes into the runner's files that the runner did not make (see the
   * `tampering` event): kept, so `status` can say what happened and when.
   */
  tampering: z.array(TamperingSchema).optional(),
  /** The last event folded into this state. */
  lastSeq: z.number().int().nonnegative().default(0),
});
export type SprintState = z.infer<typeof SprintStateSchema>;

export {
  applyEvent,
  applyEventInPlace,
  countTasks,
  estimatedCostUsd,
  fallbackPricing,
  initialState,
  initialTaskState,
  isTaskReady,
  readyTasks,
  type TaskCounts,
} from './fold.js';
