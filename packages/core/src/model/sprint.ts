import { z } from 'zod';
import { NotifyTargetSchema } from '../notify/notify-target.js';
import { PRIORITIES, TASK_ID_PATTERN } from './task-info.js';

export {
  COMMON_TASK_FIELDS,
  PRIORITIES,
  type Priority,
  slugify,
  TASK_ID_PATTERN,
  TASK_TYPE_FIELDS,
  taskLabel,
} from './task-info.js';

export const PrioritySchema = z.enum(PRIORITIES);

/**
 * A task as the runner sees it. `fields` keeps every field exactly as the
 * user wrote it (type-specific ones like `issue-number` or `target-path`
 * included), so a store can write the task back unchanged.
 */
export const TaskSchema = z.object({
  id: z
    .string()
    .regex(TASK_ID_PATTERN, 'letters, digits, ".", "_" and "-", starting with a letter or digit'),
  type: z.string().min(1),
  title: z.string().optional(),
  description: z.string().optional(),
  priority: PrioritySchema.default('medium'),
  dependsOn: z.array(z.string()).default([]),
  /** A shell command that must exit 0 after the agent reports success. */
  verify: z.string().optional(),
  /** The command the `shell` agent runs. */
  command: z.string().optional(),
  fields: z.record(z.string(), z.unknown()).default({}),
});
export type Task = z.infer<typeof TaskSchema>;
export type TaskInput = z.input<typeof TaskSchema>;

/** Retry policy for failed attempts (rate limits are not counted as attempts). */
export const RetryPolicySchema = z.object({
  /** Attempts in all, the first included. The original runner: 1 + max_retries 2. */
  maxAttempts: z.number().int().positive().default(3),
  /** Delay before the second attempt; doubled for each further one. */
  delayMs: z.number().int().nonnegative().default(1000),
  backoff: z.number().min(1).default(2),
});
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

/**
 * The sprint's configuration (SPRINT.yaml `config`, kebab-case on disk).
 * The original keys are kept; the rest are this project's.
 */
export const SprintConfigSchema = z.object({
  maxTasks: z.number().int().positive().optional(),
  timeBox: z.string().optional(),
  autoCommit: z.boolean().default(true),
  contextCache: z.boolean().optional(),
  parallel: z.boolean().optional(),
  maxIterations: z.number().int().positive().optional(),
  maxCostUsd: z.number().positive().optional(),
  /** Per-task time limit in milliseconds. */
  taskTimeoutMs: z.number().int().positive().optional(),
  concurrency: z.number().int().positive().optional(),
  retry: RetryPolicySchema.partial().optional(),
  /** The agent for types no entry in `agents` names. */
  agent: z.string().optional(),
  /** Task type -> agent name. */
  agents: z.record(z.string(), z.string()).default({}),
  /** Options for the claude agent, as written. */
  claude: z.record(z.string(), z.unknown()).optional(),
  /** Options for the codex agent, as written (model, timeouts). */
  codex: z.record(z.string(), z.unknown()).optional(),
  /** Options for the gemini agent, as written. */
  gemini: z.record(z.string(), z.unknown()).optional(),
  /** Options for the opencode agent, as written. */
  opencode: z.record(z.string(), z.unknown()).optional(),
  /** Model -> US dollars per million tokens, over the shipped price table. */
  prices: z
    .record(
      z.string(),
      z.object({
        input: z.number().nonnegative(),
        output: z.number().nonnegative(),
        cacheRead: z.number().nonnegative().optional(),
        cacheCreation: z.number().nonnegative().optional(),
      }),
    )
    .optional(),
  /** Where agents work, relative to the sprint's location. */
  projectDir: z.string().optional(),
  /** Where notifications go (`config.notify`). */
  notify: z.array(NotifyTargetSchema).optional(),
  /** `auto` (worktrees when tasks may run at once in git), `worktree` or `shared`. */
  isolation: z.enum(['auto', 'worktree', 'shared']).optional(),
  /** Runs on each integrated tree instead of the task's `verify` (for example the test suite). */
  mergeVerify: z.string().optional(),
  /** The branch the work lands on; default the branch checked out when the sprint started. */
  targetBranch: z.string().optional(),
  /** Worktree limits: `maxDiskBytes` for all of the sprint's worktrees together. */
  worktrees: z.object({ maxDiskBytes: z.number().positive().optional() }).optional(),
  /**
   * Where the agent names were written (`config.agent`, `config.agents.<type>`
   * -> file and line), so an unknown one is reported where a person can fix it.
   */
  where: z
    .record(z.string(), z.object({ file: z.string().optional(), line: z.number().optional() }))
    .optional(),
});
export type SprintConfig = z.infer<typeof SprintConfigSchema>;

export const SprintDefinitionSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  goals: z.array(z.string()).default([]),
  notes: z.string().optional(),
  created: z.string().optional(),
  owner: z.string().optional(),
  config: SprintConfigSchema.default({ autoCommit: true, agents: {} }),
  tasks: z.array(TaskSchema),
});
export type SprintDefinition = z.infer<typeof SprintDefinitionSchema>;
export type SprintDefinitionInput = z.input<typeof SprintDefinitionSchema>;
