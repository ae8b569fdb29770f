import { InvalidSprintError, type Task, taskFromFields, validateTasks } from '@sprint/core';
import { ApiError, type FieldIssue } from './problem.js';
import { notifyYaml, type SprintConfigBody, type TaskBody } from './schemas.js';

/**
 * The store's verdict on the sprint with the new tasks (a dependency on a
 * task it does not have, a cycle) in terms of the request: `tasks.1.dependsOn`.
 */
export function inRequestTerms(error: InvalidSprintError, tasks: Task[]): ApiError {
  const index = new Map(tasks.map((t, i) => [t.id, i]));
  const issues: FieldIssue[] = error.issues.map((issue) => {
    const taskId = (issue as { taskId?: string }).taskId;
    const i = taskId === undefined ? undefined : index.get(taskId);
    return {
      field: i === undefined ? (issue.field ?? 'tasks') : requestField(i, issue.field),
      message: issue.message,
    };
  });
  return new ApiError(
    422,
    'VALIDATION_FAILED',
    `Invalid tasks: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
    { issues },
  );
}

export function unknownAgent(field: string, name: string, names: readonly string[]) {
  return new ApiError(
    422,
    'UNKNOWN_AGENT',
    `No agent "${name}" is configured on this server (configured: ${names.join(', ') || 'none'}).`,
    { issues: [{ field, message: `expected one of ${names.join(', ')}` }] },
  );
}

export function checkAgentNames(
  config: SprintConfigBody | undefined,
  names: readonly string[],
): void {
  if (!config) return;
  if (config.agent !== undefined && !names.includes(config.agent)) {
    throw unknownAgent('config.agent', config.agent, names);
  }
  for (const [type, name] of Object.entries(config.agents ?? {})) {
    if (!names.includes(name)) throw unknownAgent(`config.agents.${type}`, name, names);
  }
}

/**
 * A task's own agent (`agent`, or `fields.agent`) names one of the server's
 * agents, or 422 naming the field the request gave it in.
 */
export function checkTaskAgents(
  tasks: readonly Task[],
  bodies: readonly TaskBody[],
  names: readonly string[],
): void {
  tasks.forEach((task, i) => {
    const own = task.fields.agent;
    if (own !== undefined && (typeof own !== 'string' || !names.includes(own))) {
      const field = bodies[i]?.agent !== undefined ? 'agent' : 'fields.agent';
      throw unknownAgent(`tasks.${i}.${field}`, String(own), names);
    }
  });
}

/** The request's config as SPRINT.yaml writes it (kebab-case keys). */
export function configInput(config: SprintConfigBody): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (config.maxTasks !== undefined) out['max-tasks'] = config.maxTasks;
  if (config.timeBox !== undefined) out['time-box'] = config.timeBox;
  if (config.autoCommit !== undefined) out['auto-commit'] = config.autoCommit;
  if (config.maxIterations !== undefined) out['max-iterations'] = config.maxIterations;
  if (config.maxCostUsd !== undefined) out['max-cost-usd'] = config.maxCostUsd;
  if (config.taskTimeout !== undefined) out['task-timeout'] = durationText(config.taskTimeout);
  if (config.concurrency !== undefined) out.concurrency = config.concurrency;
  if (config.retry) {
    const retry: Record<string, unknown> = {};
    if (config.retry.maxAttempts !== undefined) retry['max-attempts'] = config.retry.maxAttempts;
    if (config.retry.delay !== undefined) retry.delay = durationText(config.retry.delay);
    if (config.retry.backoff !== undefined) retry.backoff = config.retry.backoff;
    out.retry = retry;
  }
  if (config.agent !== undefined) out.agent = config.agent;
  if (config.agents !== undefined) out.agents = config.agents;
  if (config.contextCache !== undefined) out['context-cache'] = config.contextCache;
  if (config.parallel !== undefined) out.parallel = config.parallel;
  if (config.prices !== undefined) {
    out.prices = Object.fromEntries(
      Object.entries(config.prices).map(([model, p]) => [
        model,
        {
          input: p.input,
          output: p.output,
          ...(p.cacheRead !== undefined ? { 'cache-read': p.cacheRead } : {}),
          ...(p.cacheCreation !== undefined ? { 'cache-creation': p.cacheCreation } : {}),
        },
      ]),
    );
  }
  if (config.notify !== undefined) out.notify = notifyYaml(config.notify);
  if (config.isolation !== undefined) out.isolation = config.isolation;
  if (config.mergeVerify !== undefined) out['merge-verify'] = config.mergeVerify;
  if (config.targetBranch !== undefined) out['target-branch'] = config.targetBranch;
  if (config.worktrees !== undefined) {
    out.worktrees =
      config.worktrees.maxDisk === undefined ? {} : { 'max-disk': config.worktrees.maxDisk };
  }
  return out;
}

/**
 * The shell commands a request's config carries (`mergeVerify`, notify `command` targets),
 * refused (422 naming each) unless the server allows task commands, as a task's `verify` is.
 */
export function checkConfigCommands(
  config: SprintConfigBody | undefined,
  allowCommands: boolean,
): void {
  if (!config || allowCommands) return;
  const issues: FieldIssue[] = [];
  if (config.mergeVerify !== undefined) {
    issues.push({ field: 'config.mergeVerify', message: COMMANDS_OFF });
  }
  config.notify?.forEach((target, i) => {
    if (target.command !== undefined) {
      issues.push({ field: `config.notify.${i}.command`, message: COMMANDS_OFF });
    }
  });
  if (issues.length) {
    throw new ApiError(
      422,
      'VALIDATION_FAILED',
      `Invalid request: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
      { issues },
    );
  }
}

/** Whole milliseconds (1 to 2^31-1, checked by the schema) as SPRINT.yaml writes a duration: `90s`, `250ms`. */
export function durationText(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

const MODEL_FIELDS: Record<string, string> = {
  id: 'id',
  type: 'type',
  title: 'title',
  description: 'description',
  priority: 'priority',
  'depends-on': 'dependsOn',
  verify: 'verify',
  command: 'command',
  'pause-after': 'pauseAfter',
  agent: 'agent',
  model: 'model',
};

/** Where a core issue's field is in the request: `tasks.2.dependsOn`, `tasks.0.fields.issue-number`. */
function requestField(index: number, field: string | undefined): string {
  const name = (field ?? '').replace(/^(task|tasks\[\d+\]|queue\[\d+\])\.?/, '');
  if (!name) return `tasks.${index}`;
  return `tasks.${index}.${MODEL_FIELDS[name] ?? `fields.${name}`}`;
}

/**
 * Whether a task field key names a shell command under any spelling a reader
 * may map to `verify` or `command` (case, `-`, `_`, camelCase).
 */
function isCommandKey(key: string): boolean {
  const bare = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  return bare === 'verify' || bare === 'command';
}

/**
 * Request tasks as model tasks (core's `taskFromFields`: required fields of
 * the original types, ids by their convention); 422 naming each refused
 * field. `whole`: the tasks are the whole sprint, so dependencies must be among them.
 */
const COMMANDS_OFF =
  'shell commands in requests are off on this server (start it with `sprint serve --allow-task-commands` or `sprint-api --allow-task-commands`)';

export function toTasks(bodies: TaskBody[], allowCommands: boolean, whole: boolean): Task[] {
  const issues: FieldIssue[] = [];
  const tasks: Task[] = [];
  bodies.forEach((b, i) => {
    if (!allowCommands) {
      for (const key of ['command', 'verify'] as const) {
        if (b[key] !== undefined) {
          issues.push({
            field: `tasks.${i}.${key}`,
            message: COMMANDS_OFF,
          });
        }
      }
      // `fields` is written into the task as is, and a store reads `verify`/`command` (in any
      // spelling: `Verify`, `VERIFY`, `verify_`) back as the task's commands: refuse them there too.
      for (const key of Object.keys(b.fields ?? {})) {
        if (isCommandKey(key)) {
          issues.push({
            field: `tasks.${i}.fields.${key}`,
            message: COMMANDS_OFF,
          });
        }
      }
    }
    // Top-level keys win over the same keys in `fields` (type-specific fields as written).
    const fields: Record<string, unknown> = { ...b.fields };
    const model = {
      id: b.id,
      title: b.title,
      description: b.description,
      priority: b.priority,
      'depends-on': b.dependsOn,
      verify: b.verify,
      command: b.command,
      'pause-after': b.pauseAfter,
      agent: b.agent,
      model: b.model,
    };
    for (const [key, value] of Object.entries(model)) if (value !== undefined) fields[key] = value;
    try {
      tasks.push(taskFromFields(b.type, fields, `tasks[${i}]`));
    } catch (error) {
      if (!(error instanceof InvalidSprintError)) throw error;
      for (const issue of error.issues) {
        const field = requestField(i, issue.field);
        // A field already refused above (a smuggled command) is reported once.
        if (!issues.some((seen) => seen.field === field)) {
          issues.push({ field, message: issue.message });
        }
      }
    }
  });
  if (!issues.length) {
    for (const issue of validateTasks(tasks)) {
      if (!whole && issue.field === 'depends-on' && !issue.message.includes('itself')) continue;
      issues.push({ field: requestField(issue.index, issue.field), message: issue.message });
    }
  }
  if (issues.length) {
    throw new ApiError(
      422,
      'VALIDATION_FAILED',
      `Invalid tasks: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
      { issues },
    );
  }
  return tasks;
}
