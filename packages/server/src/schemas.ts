import {
  FallbackPricingSchema,
  GITHUB_REPO_PATTERN,
  InvalidSprintError,
  NOTIFY_EVENTS,
  PrioritySchema,
  parseConfig,
  parseDuration,
  RunEventSchema,
  RunResultSchema,
  SprintStatusSchema,
  TASK_ID_PATTERN,
  TaskStatusSchema,
} from '@sprint/core';
import { z } from 'zod';

// ---- requests --------------------------------------------------------------

const TaskId = z
  .string()
  .max(128)
  .regex(TASK_ID_PATTERN, 'letters, digits, ".", "_" and "-", starting with a letter or digit');

const Text = (max: number) => z.string().max(max);

/** The longest duration a Node timer can wait: 2^31-1 ms, about 24.8 days. */
const MAX_DURATION_MS = 2 ** 31 - 1;

const DURATION_MESSAGE = `expected a duration such as 90s, 15m or 1h30m, from 1ms to ${MAX_DURATION_MS}ms (about 24 days)`;

/** Milliseconds of a duration as the CLI takes it, or undefined when it is not one within bounds. */
function boundedMs(value: string | number): number | undefined {
  const ms = parseDuration(value);
  if (ms === undefined || !Number.isFinite(ms) || ms < 1 || ms > MAX_DURATION_MS) return undefined;
  return Math.round(ms);
}

/**
 * A duration as the CLI takes it: `90s`, `15m`, `1h30m`, `250ms`, or a number
 * of seconds; finite, at least 1 ms and at most 2^31-1 ms. Parses to whole ms.
 */
const Duration = z
  .union([
    z.string().max(32),
    z
      .number()
      .min(0.001)
      .max(MAX_DURATION_MS / 1000),
  ])
  .transform((value, ctx) => {
    const ms = boundedMs(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: DURATION_MESSAGE });
      return z.NEVER;
    }
    return ms;
  });

/** A duration kept as written (SPRINT.yaml's `time-box`), with the same bounds as `Duration`. */
const DurationText = z
  .string()
  .trim()
  .max(32)
  .refine((value) => boundedMs(value) !== undefined, { message: DURATION_MESSAGE });

/**
 * A task in a request body. Type-specific fields (`issue-number`,
 * `target-path`, `done-when`...) go in `fields`, as SPRINT.yaml writes them;
 * a top-level key wins over the same key in `fields`.
 * `command` and `verify` are shell commands: the server takes them only when
 * started with `allowTaskCommands` (else they come from sprint files only).
 */
export const TaskBodySchema = z.strictObject({
  id: TaskId.optional(),
  type: z.string().min(1).max(64),
  title: Text(500).optional(),
  description: Text(20_000).optional(),
  priority: PrioritySchema.optional(),
  dependsOn: z.array(TaskId).max(1000).optional(),
  verify: Text(4000).optional(),
  command: Text(4000).optional(),
  /** The run pauses once this task is done, for a person to review (SPRINT.yaml's `pause-after`). */
  pauseAfter: z.boolean().optional(),
  /**
   * The agent that runs this task, one of this server's agents (as `sprint add
   * --agent`); over the sprint's `config.agents` and `config.agent`.
   */
  agent: z.string().trim().min(1).max(64).optional(),
  /** The model the task's agent uses (as `sprint add --model`), over `config.<agent>.model`. */
  model: z.string().trim().min(1).max(200).optional(),
  fields: z.record(z.string().max(64), z.unknown()).optional(),
});
export type TaskBody = z.infer<typeof TaskBodySchema>;

/** `max-disk` -> `maxDisk`: a path segment of SPRINT.yaml in the request's spelling. */
const camel = (key: string) => key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Checks a value with core's reading of the SPRINT.yaml config key at `at` (`worktrees.max-disk`;
 * the value as the file would hold it), so a request is refused for exactly what a sprint file
 * is refused for (a branch name git rejects, a size that is not one, a webhook that is not
 * http(s)), each issue at its field in the request: `config.notify.0.webhook`.
 */
function asInSprintYaml<T>(at: string, toYaml: (value: T) => unknown = (v) => v) {
  const keys = at.split('.');
  return (value: T, ctx: z.RefinementCtx) => {
    const raw = keys.reduceRight<unknown>((inner, key) => ({ [key]: inner }), toYaml(value));
    try {
      parseConfig(raw, { file: 'request', field: '' });
    } catch (error) {
      if (!(error instanceof InvalidSprintError)) throw error;
      for (const issue of error.issues) {
        // `notify[0].secret-env` -> [0, 'secretEnv'] below the key itself.
        const path = (issue.field ?? at)
          .replace(/\[(\d+)\]/g, '.$1')
          .split('.')
          .slice(keys.length)
          .map((s) => (/^\d+$/.test(s) ? Number(s) : camel(s)));
        ctx.addIssue({
          code: 'custom',
          message: issue.fix ? `${issue.message}; ${issue.fix}` : issue.message,
          path,
        });
      }
    }
  };
}

/**
 * A notification target as SPRINT.yaml writes it, in camelCase: one of `webhook`, `slack`
 * (an http(s) URL) or `command` (a shell command: only on a server started with
 * `allowTaskCommands`), with `events` and, for a webhook, the HMAC key in `secret`. A
 * webhook's `secret-env` is not taken: a request never chooses what of the server's
 * environment is used.
 */
const NotifyTargetBody = z.strictObject({
  webhook: z.string().max(2000).optional(),
  slack: z.string().max(2000).optional(),
  command: Text(4000).optional(),
  events: z.array(z.enum(NOTIFY_EVENTS)).max(NOTIFY_EVENTS.length).optional(),
  secret: z.string().min(1).max(1000).optional(),
  secretEnv: z
    .unknown()
    .refine((v) => v === undefined, {
      message:
        "a request cannot name a variable of the server's environment; send the key in secret, or set the target in the server's notify configuration",
    })
    .optional(),
});
type NotifyTargetBody = z.infer<typeof NotifyTargetBody>;

/** The request's notify targets as SPRINT.yaml holds them. */
export function notifyYaml(targets: NotifyTargetBody[]): Record<string, unknown>[] {
  return targets.map(({ secretEnv: _, ...t }) => t);
}

/** The isolation modes of `config.isolation` and `--isolation`. */
const Isolation = z.enum(['auto', 'worktree', 'shared']);

/**
 * The configuration a request may set: every key of SPRINT.yaml's `config` in camelCase,
 * checked as a sprint file's is, but the agent programs' options (`claude`, `codex`,
 * `gemini`, `opencode`: permission modes and tools widen what an agent may do on this
 * machine) and `projectDir`, which are the server's alone. `mergeVerify` and notify
 * `command` targets are shell commands, taken only when the server allows task commands.
 */
export const SprintConfigBodySchema = z.strictObject({
  maxTasks: z.number().int().positive().max(100_000).optional(),
  timeBox: DurationText.optional(),
  autoCommit: z.boolean().optional(),
  /** The original plugin's key, kept as written. */
  contextCache: z.boolean().optional(),
  /** The original plugin's key, kept as written (`concurrency` is what runs tasks at once). */
  parallel: z.boolean().optional(),
  maxIterations: z.number().int().positive().max(100_000).optional(),
  maxCostUsd: z.number().positive().max(1_000_000).optional(),
  taskTimeout: Duration.optional(),
  concurrency: z.number().int().positive().max(64).optional(),
  retry: z
    .strictObject({
      maxAttempts: z.number().int().positive().max(100).optional(),
      delay: Duration.optional(),
      backoff: z.number().min(1).max(10).optional(),
    })
    .optional(),
  /** One of the server's agent names, for task types `agents` does not name. */
  agent: z.string().max(64).optional(),
  /** Task type -> one of the server's agent names. */
  agents: z.record(z.string().max(64), z.string().max(64)).optional(),
  /** Model -> US dollars per million tokens, over the shipped price table. */
  prices: z
    .record(
      z.string().min(1).max(200),
      z.strictObject({
        input: z.number().nonnegative().max(1_000_000),
        output: z.number().nonnegative().max(1_000_000),
        cacheRead: z.number().nonnegative().max(1_000_000).optional(),
        cacheCreation: z.number().nonnegative().max(1_000_000).optional(),
      }),
    )
    .refine((table) => Object.keys(table).length <= 200, { message: 'at most 200 models' })
    .optional(),
  /** Where notifications of this sprint go. */
  notify: z
    .array(NotifyTargetBody)
    .max(20)
    .superRefine(asInSprintYaml('notify', notifyYaml))
    .optional(),
  /** `auto` (worktrees when tasks may run at once in git, the default), `worktree` or `shared`. */
  isolation: Isolation.optional(),
  /** Runs on each integrated tree instead of the task's `verify` (a shell command). */
  mergeVerify: Text(4000).min(1).optional(),
  /** The branch the work lands on (default: the branch checked out when the sprint started). */
  targetBranch: z.string().max(255).superRefine(asInSprintYaml('target-branch')).optional(),
  worktrees: z
    .strictObject({
      /** The disk budget of all of the sprint's worktrees: `10GB`, `500MB`, or bytes. */
      maxDisk: z
        .union([z.string().max(32), z.number()])
        .superRefine(asInSprintYaml('worktrees.max-disk'))
        .optional(),
    })
    .optional(),
});
export type SprintConfigBody = z.infer<typeof SprintConfigBodySchema>;

export const CreateSprintBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  goals: z.array(Text(2000)).max(100).optional(),
  notes: Text(20_000).optional(),
  owner: Text(200).optional(),
  config: SprintConfigBodySchema.optional(),
  tasks: z.array(TaskBodySchema).max(1000).optional(),
});

export const AddTasksBodySchema = z.strictObject({
  tasks: z.array(TaskBodySchema).min(1).max(1000),
});

/** `POST /sprints/{id}/import/github`: which issues of which repository (= `sprint import --github`). */
export const GithubImportBodySchema = z.strictObject({
  repo: z
    .string()
    .max(200)
    .regex(GITHUB_REPO_PATTERN, 'expected OWNER/REPO, like octocat/hello-world'),
  /** Only issues with every one of these labels. */
  label: z
    .union([z.string().min(1).max(100), z.array(z.string().min(1).max(100)).max(20)])
    .optional(),
  /** A milestone's title or number, `*` (any) or `none`. */
  milestone: z.string().min(1).max(200).optional(),
  state: z.enum(['open', 'closed', 'all']).optional(),
});

/** The CLI's run options. `agent` picks one of the server's configured agents, by name. */
export const RunBodySchema = z.strictObject({
  maxIterations: z.number().int().positive().max(100_000).optional(),
  concurrency: z.number().int().positive().max(64).optional(),
  maxCostUsd: z.number().positive().max(1_000_000).optional(),
  taskTimeout: Duration.optional(),
  agent: z.string().min(1).max(64).optional(),
  /** Overrides the sprint's `isolation` for this run (= `--isolation`). */
  isolation: Isolation.optional(),
});

export const ResumeBodySchema = RunBodySchema.extend({
  /** The human's answer when the sprint needs one. */
  answer: z.string().min(1).max(20_000).optional(),
});
export type ResumeBody = z.infer<typeof ResumeBodySchema>;

/** `POST /sprints/{id}/answer`: the answer to the open needs-human question (= `resume --answer`). */
export const AnswerBodySchema = z.strictObject({
  answer: z.string().trim().min(1).max(20_000),
  /** The task whose question this answers: refused (409) when the open question is another's. */
  taskId: z.string().min(1).max(200).optional(),
  /** One of the server's agents for every task of the resumed run (as `resume` takes it). */
  agent: z.string().min(1).max(64).optional(),
});

export const CancelBodySchema = z.strictObject({ reason: z.string().trim().min(1).max(2000) });

export const EmptyBodySchema = z.strictObject({});

/** `POST /sprints/{id}/tasks/{taskId}/skip`: why the task is skipped. */
export const SkipBodySchema = z.strictObject({ reason: z.string().trim().min(1).max(2000) });

/** `?after=` of the event stream: a sequence number, or `now` for live events only. */
export const EventsQuerySchema = z.object({
  after: z.union([z.literal('now'), z.coerce.number().int().nonnegative()]).optional(),
});

// ---- responses -------------------------------------------------------------

export const HealthSchema = z.object({ status: z.literal('ok'), version: z.string() });

/** The workers of a database store (`sprint worker`): who, where, doing what, last seen when. */
export const WorkerListSchema = z.object({
  database: z
    .boolean()
    .describe('Whether the sprints are in a database (only then can workers take their tasks)'),
  workers: z.array(
    z.object({
      name: z.string(),
      host: z.string(),
      pid: z.number().int(),
      agents: z.array(z.string()),
      state: z
        .enum(['live', 'lost', 'stopped'])
        .describe(
          'live while it heartbeats (every 2 s); lost once its last heartbeat is older than 15 s, by the database clock (killed, cut off); stopped when it drained and left',
        ),
      tasks: z.array(z.string()).describe('`<sprint>/<task>` it runs now (none unless live)'),
      lastTasks: z
        .array(z.string())
        .optional()
        .describe("A lost worker's tasks when last heard from (they are retried elsewhere)"),
      startedAt: z.string(),
      heartbeatAt: z.string(),
      heartbeatAgeMs: z
        .number()
        .nonnegative()
        .describe('How long ago its last heartbeat was, by the database clock'),
      stoppedAt: z.string().nullable(),
    }),
  ),
});
export type WorkerList = z.infer<typeof WorkerListSchema>;

/** `GET /health?deep=1`: the offered agent CLIs as `sprint doctor` sees them (no tokens spent). */
export const HealthDeepSchema = HealthSchema.extend({
  agents: z.array(
    z.object({
      name: z.string(),
      binary: z.string(),
      installed: z.boolean(),
      version: z.string().optional(),
      credentials: z.boolean(),
      unattended: z.boolean(),
      status: z.enum(['ready', 'missing', 'no-credentials']),
      advice: z.array(z.string()),
      notes: z.array(z.string()),
    }),
  ),
});

const TaskCountsSchema = z.object({
  total: z.number().int(),
  done: z.number().int(),
  pending: z.number().int(),
  running: z.number().int(),
  failed: z.number().int(),
  blocked: z.number().int(),
  skipped: z.number().int(),
  cancelled: z.number().int(),
});

export const SprintSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  status: SprintStatusSchema,
  format: z.enum(['directory', 'document', 'memory', 'database']),
  counts: TaskCountsSchema,
  /** Done (or skipped) tasks out of all, 0 to 1. */
  progress: z.number().min(0).max(1),
  created: z.string().optional(),
  updatedAt: z.string().optional(),
  /** Whether this server drives a run of it now. */
  running: z.boolean(),
  costUsd: z.number().optional(),
  /** The part of `costUsd` priced from tokens with the price table (agents that report no cost). */
  estimatedCostUsd: z.number().optional(),
  tokens: z.record(z.string(), z.number()).optional(),
  startedAt: z.string().optional(),
  completedAt: z.string().optional(),
  /** Ids of the tasks running now. */
  current: z.array(z.string()).optional(),
  /** Why the sprint cannot be read (its files are invalid), when it cannot. */
  invalid: z.string().optional(),
});

export const SprintListSchema = z.object({ sprints: z.array(SprintSummarySchema) });

/**
 * A notification target as a sprint's page shows it: where it goes and for which events,
 * never its key. A Slack URL's path is its key: only its origin is shown; a webhook's
 * query (which may carry one) is left out.
 */
const NotifyTargetViewSchema = z.object({
  webhook: z.string().optional(),
  slack: z.string().optional(),
  command: z.string().optional(),
  events: z.array(z.enum(NOTIFY_EVENTS)).optional(),
  /** The webhook's payloads are signed (`secret` or `secret-env` is set). */
  signed: z.boolean().optional(),
});

/**
 * The sprint's configuration (SPRINT.yaml's `config`, or the `config` it was created
 * with) in the request's camelCase names, defaults filled in. Durations as SPRINT.yaml
 * writes them (`900s`), `worktrees.maxDisk` in bytes. The agents' own options
 * (`claude`, `codex`...) and `projectDir` are the server's, and not shown.
 */
const SprintConfigViewSchema = z.object({
  maxTasks: z.number().int().optional(),
  timeBox: z.string().optional(),
  autoCommit: z.boolean(),
  contextCache: z.boolean().optional(),
  parallel: z.boolean().optional(),
  maxIterations: z.number().int().optional(),
  maxCostUsd: z.number().optional(),
  taskTimeout: z.string().optional(),
  concurrency: z.number().int().optional(),
  retry: z
    .object({
      maxAttempts: z.number().int().optional(),
      delay: z.string().optional(),
      backoff: z.number().optional(),
    })
    .optional(),
  agent: z.string().optional(),
  agents: z.record(z.string(), z.string()),
  prices: z
    .record(
      z.string(),
      z.object({
        input: z.number(),
        output: z.number(),
        cacheRead: z.number().optional(),
        cacheCreation: z.number().optional(),
      }),
    )
    .optional(),
  notify: z.array(NotifyTargetViewSchema).optional(),
  isolation: z.enum(['auto', 'worktree', 'shared']).optional(),
  mergeVerify: z.string().optional(),
  targetBranch: z.string().optional(),
  worktrees: z.object({ maxDisk: z.number().optional() }).optional(),
});
export type SprintConfigView = z.infer<typeof SprintConfigViewSchema>;

/** A task in a sprint's report; extra fields pass through. */
const TaskViewSchema = z.looseObject({
  id: z.string(),
  type: z.string(),
  title: z.string(),
  status: TaskStatusSchema,
  /** `true` when the run pauses once this task is done; absent otherwise. */
  pauseAfter: z.literal(true).optional(),
});

/** The sprint's status report from @sprint/core (`describeSprint`); extra fields pass through. */
export const SprintStatusReportSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  status: SprintStatusSchema,
  /** Why the sprint stopped where it is: `paused after task review (pause-after)`, `max tasks reached (...)`. */
  reason: z.string().optional(),
  /** How to go on, when the sprint waits for it: `POST /sprints/{id}/resume` for a paused sprint. */
  next: z.string().optional(),
  tasks: z.array(TaskViewSchema).optional(),
  config: SprintConfigViewSchema,
  /** The part of `costUsd` priced from tokens with the price table (agents that report no cost). */
  estimatedCostUsd: z.number().optional(),
  /**
   * The part of that estimate priced at the table's `*` fallback: `models` the
   * table does not know, `unknownModel` when an agent's model was unknown. Absent when none was.
   */
  fallbackPricing: FallbackPricingSchema.optional(),
});

export const SprintDetailSchema = z.object({
  sprint: SprintStatusReportSchema,
  /** The run this server drives now, if any. */
  run: z
    .object({
      runId: z.string(),
      kind: z.enum(['run', 'resume']),
      agent: z.string().optional(),
      startedAt: z.string(),
    })
    .nullable(),
  links: z.object({ self: z.string(), events: z.string(), result: z.string() }),
});

export const AddTasksResultSchema = z.object({
  added: z.array(z.string()),
  skipped: z.array(z.string()),
});

export const GithubImportResultSchema = z.object({
  repo: z.string(),
  /** Issues GitHub listed (pull requests left out). */
  listed: z.number().int(),
  /** Task ids added. */
  added: z.array(z.string()),
  /** Issues the sprint already had, with the task that holds each. */
  skipped: z.array(z.object({ issue: z.number().int(), taskId: z.string() })),
});

export const RunAcceptedSchema = z.object({
  sprintId: z.string(),
  runId: z.string(),
  kind: z.enum(['run', 'resume']),
  agent: z.string().optional(),
  startedAt: z.string(),
  links: z.object({ self: z.string(), events: z.string(), result: z.string() }),
});

export const ControlOutcomeSchema = z.object({
  action: z.enum(['pause', 'stop', 'cancel']),
  outcome: z.enum(['requested', 'applied', 'not-running']),
  status: SprintStatusSchema,
});

/** What a skip or retry changed: recorded as the task's `task-status` event. */
export const TaskChangeSchema = z.object({
  sprintId: z.string(),
  taskId: z.string(),
  from: TaskStatusSchema,
  to: TaskStatusSchema,
  reason: z.string().optional(),
  requestedBy: z.string(),
});

export { RunEventSchema, RunResultSchema };
