import { z } from 'zod';
import { AGENT_ERROR_KINDS } from './kinds.js';

export { AGENT_ERROR_KINDS };
export const AgentErrorKindSchema = z.enum(AGENT_ERROR_KINDS);
export type AgentErrorKind = z.infer<typeof AgentErrorKindSchema>;

export const AgentErrorSchema = z.object({
  kind: AgentErrorKindSchema,
  message: z.string(),
  /** When the provider named a reset time (usage limits), as an ISO time. */
  resetAt: z.string().optional(),
  /** A suggested wait before trying again. */
  retryAfterMs: z.number().nonnegative().optional(),
  exitCode: z.number().int().nullable().optional(),
  signal: z.string().nullable().optional(),
});
export type AgentError = z.infer<typeof AgentErrorSchema>;

export const HumanNeededSchema = z.object({
  reason: z.string(),
  details: z.string().optional(),
  options: z.array(z.string()).default([]),
});
export type HumanNeeded = z.infer<typeof HumanNeededSchema>;

export const TokenUsageSchema = z.object({
  input: z.number().nonnegative().default(0),
  output: z.number().nonnegative().default(0),
  cacheRead: z.number().nonnegative().default(0),
  cacheCreation: z.number().nonnegative().default(0),
});
export type TokenUsage = z.infer<typeof TokenUsageSchema>;

export { addTokens, totalTokens, ZERO_TOKENS } from './usage.js';

import { ZERO_TOKENS } from './usage.js';

/** What one agent run produced. `success` is the runner's only input for "done". */
export const AgentResultSchema = z.object({
  success: z.boolean(),
  summary: z.string().default(''),
  /** The agent's full final output, when it differs from the summary. */
  output: z.string().optional(),
  deferredItems: z.array(z.string()).default([]),
  filesChanged: z.array(z.string()).default([]),
  needsHuman: HumanNeededSchema.optional(),
  costUsd: z.number().nonnegative().default(0),
  /** True when `costUsd` was priced from tokens with the price table, not reported by the provider. */
  costEstimated: z.boolean().optional(),
  /** The model an estimated cost was priced for, when the agent knew it. */
  costModel: z.string().optional(),
  /**
   * True when an estimated cost was priced at the table's `*` fallback: the
   * model was unknown (`costModel` absent) or not in the table.
   */
  costFallback: z.boolean().optional(),
  tokens: TokenUsageSchema.default(ZERO_TOKENS),
  durationMs: z.number().nonnegative().default(0),
  sessionId: z.string().optional(),
  error: AgentErrorSchema.optional(),
});
export type AgentResult = z.infer<typeof AgentResultSchema>;
export type AgentResultInput = z.input<typeof AgentResultSchema>;

/** What the runner does when an attempt fails with a given kind. */
export type FailureReaction =
  /** Retry per policy, counting the attempt. */
  | 'retry'
  /** Wait (until the reset time when known) and retry without counting an attempt. */
  | 'retry-later'
  /** Do not retry: block the task (and the sprint) with the message. */
  | 'block';

export function failureReaction(kind: AgentErrorKind): FailureReaction {
  switch (kind) {
    case 'rate-limit':
    case 'overloaded':
    case 'usage-limit':
      return 'retry-later';
    case 'auth':
    case 'binary-missing':
    case 'config':
    case 'blocked':
    case 'budget':
      return 'block';
    default:
      return 'retry';
  }
}

/** Builds a failed result with the given error; handy for agents and tests. */
export function failedResult(
  kind: AgentErrorKind,
  message: string,
  extra: Partial<AgentResult> = {},
): AgentResult {
  return AgentResultSchema.parse({
    success: false,
    summary: message,
    ...extra,
    error: { kind, message, ...(extra.error ?? {}) },
  });
}
