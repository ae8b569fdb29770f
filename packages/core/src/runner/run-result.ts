import { z } from 'zod';
import { AgentResultSchema, TokenUsageSchema } from '../model/agent-result.js';
import { FallbackPricingSchema, StopReasonSchema } from '../model/events.js';
import { SprintStatusSchema } from '../model/status.js';

export const TaskRunResultSchema = AgentResultSchema.extend({
  taskId: z.string(),
  attempt: z.number().int().positive(),
  agent: z.string(),
});
export type TaskRunResult = z.infer<typeof TaskRunResultSchema>;

/** What `run` and `resume` return, and what `GET /sprints/{id}/result` serves. */
export const RunResultSchema = z.object({
  sprintId: z.string(),
  runId: z.string(),
  success: z.boolean(),
  status: SprintStatusSchema,
  stopReason: StopReasonSchema,
  stepsCompleted: z.number().int().nonnegative(),
  stepsTotal: z.number().int().nonnegative(),
  /** The agent results of this run, in the order they ended. */
  agentResults: z.array(TaskRunResultSchema),
  /** Every deferred item of the sprint, without duplicates. */
  deferredItems: z.array(z.string()),
  durationSeconds: z.number().nonnegative(),
  /** Agent runs started by this run. */
  iterations: z.number().int().nonnegative(),
  /** The sprint's total spend so far, across runs. */
  costUsd: z.number().nonnegative(),
  /** The part of `costUsd` priced from tokens with the price table, not reported by a provider. */
  estimatedCostUsd: z.number().nonnegative().optional(),
  /** The part of that estimate priced at the table's `*` fallback (model unknown or not in the table). */
  fallbackPricing: FallbackPricingSchema.optional(),
  tokens: TokenUsageSchema,
  /** The human's question when status is needs-human. */
  humanNeeded: z
    .object({
      taskId: z.string(),
      reason: z.string(),
      details: z.string().optional(),
      options: z.array(z.string()),
    })
    .optional(),
  /** Tasks of this run that are done but whose work the git-commit hook could not commit. */
  commitFailures: z
    .array(
      z.object({ taskId: z.string(), attempt: z.number().int().positive(), message: z.string() }),
    )
    .optional(),
  startedAt: z.string(),
  endedAt: z.string(),
});
export type RunResult = z.infer<typeof RunResultSchema>;
