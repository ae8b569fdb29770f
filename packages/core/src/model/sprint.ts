import { z } from 'zod';

export const PRIORITIES = ['critical', 'high', 'medium', 'low'] as const;
export const PrioritySchema = z.enum(PRIORITIES);
export type Priority = z.infer<typeof PrioritySchema>;

export const TASK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

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
  /** Where agents work, relative to the sprint's location. */
  projectDir: z.string().optional(),
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

/** Required fields of the four original task types. */
export const TASK_TYPE_FIELDS: Readonly<
  Record<string, { required: readonly string[]; optional: readonly string[]; idPrefix: string }>
> = {
  'implement-issue': {
    required: ['issue-number'],
    optional: ['repo', 'branch', 'pr-template'],
    idPrefix: 'implement-issue-',
  },
  refactor: {
    required: ['target-path', 'goal'],
    optional: ['constraints', 'test-command'],
    idPrefix: 'refactor-',
  },
  'update-docs': {
    required: ['doc-path', 'changes'],
    optional: ['source-files', 'validate'],
    idPrefix: 'update-docs-',
  },
  custom: {
    required: ['description', 'done-when'],
    optional: ['context-files', 'output-path'],
    idPrefix: 'custom-',
  },
};

/** A short line that names the task for people. */
export function taskLabel(task: Task): string {
  const f = task.fields;
  const candidate =
    task.title ??
    task.description ??
    (typeof f.goal === 'string' ? f.goal : undefined) ??
    (typeof f.changes === 'string' ? f.changes : undefined) ??
    (f['issue-number'] !== undefined ? `Issue #${String(f['issue-number'])}` : undefined) ??
    task.command ??
    task.id;
  const line = candidate.split('\n')[0] ?? candidate;
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

const PRIORITY_RANK: Record<Priority, number> = { critical: 0, high: 1, medium: 2, low: 3 };

export function priorityRank(priority: Priority): number {
  return PRIORITY_RANK[priority];
}

export function slugify(text: string, max = 48): string {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug.slice(0, max).replace(/-+$/, '') || 'task';
}
