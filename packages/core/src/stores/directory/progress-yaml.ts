import type { TokenUsage } from '../../model/agent-result.js';
import { formatDuration, parseDuration } from '../../model/duration.js';
import type { Issue } from '../../model/errors.js';
import { initialTaskState } from '../../model/fold.js';
import type { SprintDefinition, Task } from '../../model/sprint.js';
import type { SprintState, TaskState } from '../../model/state.js';
import { TASK_TYPE_FIELDS } from '../../model/task-info.js';
import {
  SPRINT_STATUSES,
  type SprintStatus,
  TASK_STATUSES,
  type TaskStatus,
} from '../../model/transitions.js';
import { validateTasks } from '../../model/validate.js';
import type { SprintOverview } from '../../workspace/describe-sprint.js';
import { overviewLine } from '../overview-line.js';
import { toBlockYaml } from './block-yaml.js';
import {
  camelCase,
  checkKeys,
  describe,
  FieldCursor,
  isRecord,
  kebabCase,
  oneOf,
  readDuration,
  readMap,
  readNumber,
  readString,
  readStringList,
  readWithSchema,
  renameKeys,
} from './field-cursor.js';
import { ATTEMPT, type ProgressChecks } from './quick-checks.js';
import { readTask, taskToYaml } from './task-yaml.js';
import type { YamlSource } from './yaml-source.js';

const PROGRESS_KEYS = [
  'sprint-id',
  'status',
  'current-task',
  'queue',
  'completed',
  'blocked',
  'stats',
  'human-needed',
  'deferred-items',
  'run',
  'pause-requested',
];
const STATS_KEYS = [
  'started-at',
  'completed-at',
  'tasks-total',
  'tasks-completed',
  'tasks-blocked',
  'elapsed',
  'avg-task-time',
];
const HUMAN_NEEDED_KEYS = ['reason', 'details', 'options', 'task-id'];
const RUN_KEYS = [
  'iterations',
  'cost-usd',
  'tokens',
  'stop-reason',
  'reason',
  'human-answer',
  'updated-at',
  'log-seq',
  'log-offset',
];
const TOKEN_KEYS = ['input', 'output', 'cache-read', 'cache-creation'];
const ATTEMPT_KEYS = Object.keys(ATTEMPT).map(kebabCase);

/**
 * Keys of a queue or completed entry that hold the task's state, not the
 * task: the original's `completed-at`, `elapsed`, `summary` (and the
 * template's `duration`, `output`), `blocked-at`, `reason`, and this project's.
 */
const TASK_STATE_KEYS: ReadonlySet<string> = new Set([
  'status',
  'attempts',
  'started-at',
  'completed-at',
  'elapsed',
  'duration',
  'duration-ms',
  'summary',
  'output',
  'reason',
  'blocked-at',
  'not-before',
  'files-changed',
  'question',
  'cost-usd',
  'tokens',
]);

/** PROGRESS.yaml read into the model. */
export interface ProgressYaml {
  sprintId?: string;
  /** Completed tasks (in completion order), then the queue, then tasks only listed as blocked. */
  tasks: Task[];
  state: Omit<SprintState, 'lastSeq'>;
  logSeq: number;
  logOffset: number;
}

type Section = 'queue' | 'completed' | 'blocked';

interface Entry {
  task: Task;
  state: TaskState;
  explicitStatus?: TaskStatus;
  at: FieldCursor;
  section: Section;
  typeInferred: boolean;
  /** A stand-in for an entry that could not be read, so its dependants are not misreported. */
  placeholder?: boolean;
}

/** Sort key for completion order; unknown times sort first. */
function completionTime(completedAt: string | undefined): number {
  const t = completedAt ? Date.parse(completedAt) : Number.NaN;
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t;
}

function byCompletion<T>(items: T[], completedAt: (item: T) => string | undefined): T[] {
  const keyed = items.map((item) => ({ item, key: completionTime(completedAt(item)) }));
  keyed.sort((a, b) => (a.key === b.key ? 0 : a.key < b.key ? -1 : 1));
  return keyed.map((k) => k.item);
}

function readList(value: unknown, c: FieldCursor): unknown[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  c.issue(
    `expected a list, found ${describe(value)}`,
    `write ${String(c.path.at(-1))} as a list, one "- " entry per item (or [] when empty)`,
  );
  return [];
}

function readTokens(
  value: unknown,
  c: FieldCursor,
  checks: ProgressChecks,
): TokenUsage | undefined {
  const map = readMap(value, c);
  if (!map) return undefined;
  checkKeys(map, c, TOKEN_KEYS, { strict: true, what: 'token count' });
  return readWithSchema(checks.tokens, renameKeys(map, camelCase), c, kebabCase);
}

function readTaskState(
  e: Record<string, unknown>,
  c: FieldCursor,
  section: Section,
  checks: ProgressChecks,
): { state: TaskState; explicitStatus?: TaskStatus } {
  const state = initialTaskState(
    section === 'completed' ? 'done' : section === 'blocked' ? 'blocked' : 'pending',
  );
  // A task that has not run holds none of these: nothing to read (10,000 such read much faster).
  if (!hasStateKey(e)) return { state };
  let explicitStatus: TaskStatus | undefined;
  if (e.status !== undefined && e.status !== null) {
    if (typeof e.status === 'string' && (TASK_STATUSES as readonly string[]).includes(e.status)) {
      explicitStatus = e.status as TaskStatus;
      state.status = explicitStatus;
    } else {
      c.at('status').issue(
        `unknown task status ${describe(e.status)}`,
        oneOf(String(e.status), TASK_STATUSES),
      );
    }
  }
  if (e.attempts !== undefined && e.attempts !== null) {
    readList(e.attempts, c.at('attempts')).forEach((raw, i) => {
      const ac = c.at('attempts').at(i);
      const map = readMap(raw, ac);
      if (!map) {
        if (raw === null) ac.issue('empty attempt record', 'remove the empty "-" line');
        return;
      }
      checkKeys(map, ac, ATTEMPT_KEYS, { strict: true, what: 'attempt field' });
      const attempt = readWithSchema(checks.attempt, renameKeys(map, camelCase), ac, kebabCase);
      if (attempt) state.attempts.push(attempt);
    });
  }
  const startedAt = readString(e['started-at'], c.at('started-at'));
  if (startedAt !== undefined) state.startedAt = startedAt;
  const completedAt = readString(e['completed-at'], c.at('completed-at'));
  if (completedAt !== undefined) state.completedAt = completedAt;
  const summary = readString(e.summary, c.at('summary')) ?? readString(e.output, c.at('output'));
  if (summary !== undefined) state.summary = summary;
  const reason = readString(e.reason, c.at('reason'));
  if (reason !== undefined) state.reason = reason;
  const blockedAt = readString(e['blocked-at'], c.at('blocked-at'));
  if (blockedAt !== undefined) state.blockedAt = blockedAt;
  const notBefore = readString(e['not-before'], c.at('not-before'));
  if (notBefore !== undefined) state.notBefore = notBefore;
  const files = readStringList(e['files-changed'], c.at('files-changed'));
  if (files !== undefined) state.filesChanged = files;
  if (e.question !== undefined) {
    const question = readWithSchema(checks.question, e.question, c.at('question'));
    if (question) state.question = question;
  }
  const cost = readNumber(e['cost-usd'], c.at('cost-usd'), { min: 0, example: '0.42' });
  if (cost !== undefined) state.costUsd = cost;
  const tokens = readTokens(e.tokens, c.at('tokens'), checks);
  if (tokens) state.tokens = tokens;
  const ms = readNumber(e['duration-ms'], c.at('duration-ms'), { min: 0, example: '90000' });
  const elapsed = readDuration(e.elapsed, c.at('elapsed'));
  // The template's `duration` was free text written by an agent: read it when it is a duration.
  const legacy =
    typeof e.duration === 'string' || typeof e.duration === 'number'
      ? parseDuration(e.duration)
      : undefined;
  state.durationMs = ms ?? elapsed ?? (legacy === undefined ? 0 : Math.round(legacy));
  return { state, explicitStatus };
}

function hasStateKey(e: Record<string, unknown>): boolean {
  for (const key in e) if (TASK_STATE_KEYS.has(key)) return true;
  return false;
}

function readSprintStatus(value: unknown, c: FieldCursor): SprintStatus | undefined {
  if (value === undefined || value === null) {
    c.issue(
      'PROGRESS.yaml has no status',
      `add "status: not-started" (or one of: ${SPRINT_STATUSES.join(', ')})`,
    );
    return undefined;
  }
  if (value === 'aborted') return 'cancelled';
  if (typeof value === 'string' && (SPRINT_STATUSES as readonly string[]).includes(value))
    return value as SprintStatus;
  c.issue(`unknown sprint status ${describe(value)}`, oneOf(String(value), SPRINT_STATUSES));
  return undefined;
}

/**
 * Reads a parsed PROGRESS.yaml into tasks and state; every problem goes to
 * `issues` with its line. Task checks (`validateTasks`) run here too, mapped
 * to each task's place in the file; attempts, tokens, questions and the stop
 * reason go through `checks`.
 */
export function readProgressYaml(
  source: YamlSource,
  issues: Issue[],
  checks: ProgressChecks,
): ProgressYaml {
  const c = new FieldCursor(source.file, [], issues, source.locate);
  const out: ProgressYaml = {
    tasks: [],
    state: {
      status: 'not-started',
      tasks: {},
      deferredItems: [],
      iterations: 0,
      costUsd: 0,
      tokens: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 },
    },
    logSeq: 0,
    logOffset: 0,
  };
  if (source.value === undefined) return out;
  if (source.empty) {
    c.issue(
      'PROGRESS.yaml is empty',
      'restore it from version control, or write "status: not-started" and "queue: []"',
    );
    return out;
  }
  if (!isRecord(source.value)) {
    c.issue(
      `expected "key: value" lines at the top of PROGRESS.yaml, found ${describe(source.value)}`,
      'start the file with "status: not-started"',
    );
    return out;
  }
  const map = source.value;
  checkKeys(map, c, PROGRESS_KEYS, { strict: true, what: 'key' });
  const state = out.state;

  const rawId = map['sprint-id'];
  out.sprintId = typeof rawId === 'number' ? String(rawId) : readString(rawId, c.at('sprint-id'));
  state.status = readSprintStatus(map.status, c.at('status')) ?? 'not-started';
  // `current-task` is only a display hint: a task's status says whether it runs.
  const currentTask = readString(map['current-task'], c.at('current-task'));

  const entries: Entry[] = [];
  const byId = new Map<string, Entry>();
  const readEntry = (raw: unknown, at: FieldCursor, section: Section): Entry | undefined => {
    const before = issues.length;
    const read = readTask(raw, at, TASK_STATE_KEYS);
    if (!isRecord(raw)) return undefined;
    const { state: ts, explicitStatus } = readTaskState(raw, at, section, checks);
    if (!read) {
      if (typeof raw.id === 'string' && issues.length > before) {
        const stand: Task = { id: raw.id, type: '', priority: 'medium', dependsOn: [], fields: {} };
        entries.push({
          task: stand,
          state: ts,
          at,
          section,
          typeInferred: false,
          placeholder: true,
        });
      }
      return undefined;
    }
    const entry: Entry = {
      task: read.task,
      state: ts,
      explicitStatus,
      at,
      section,
      typeInferred: read.typeInferred,
    };
    entries.push(entry);
    if (!byId.has(read.task.id)) byId.set(read.task.id, entry);
    return entry;
  };

  const queue: Entry[] = [];
  const queueList = c.at('queue');
  readList(map.queue, queueList).forEach((raw, i) => {
    const at = queueList.at(i);
    const entry = readEntry(raw, at, 'queue');
    if (!entry) return;
    if (entry.explicitStatus === 'done') {
      at.at('status').issue(
        `task "${entry.task.id}" is in queue but its status is done`,
        'move it to completed, or change its status',
      );
    }
    queue.push(entry);
  });
  const completed: Entry[] = [];
  const completedList = c.at('completed');
  readList(map.completed, completedList).forEach((raw, i) => {
    const at = completedList.at(i);
    const entry = readEntry(raw, at, 'completed');
    if (!entry) return;
    if (entry.explicitStatus && entry.explicitStatus !== 'done') {
      at.at('status').issue(
        `task "${entry.task.id}" is in completed but its status is ${entry.explicitStatus}`,
        'move it to queue, or remove its status',
      );
    }
    completed.push(entry);
  });
  const blockedOnly: Entry[] = [];
  const blockedIds = new Set<string>();
  const blockedList = c.at('blocked');
  readList(map.blocked, blockedList).forEach((raw, i) => {
    const at = blockedList.at(i);
    if (!isRecord(raw)) {
      at.issue(
        `expected a blocked entry {id, blocked-at, reason}, found ${describe(raw)}`,
        'write "- id: <task id>" with blocked-at and reason below it',
      );
      return;
    }
    const id = typeof raw.id === 'number' ? String(raw.id) : readString(raw.id, at.at('id'));
    if (id === undefined) {
      if (raw.id === undefined || raw.id === null)
        at.issue('blocked entry has no id', 'add "id: <task id>" to it');
      return;
    }
    if (blockedIds.has(id)) {
      at.at('id').issue(`task "${id}" is listed in blocked twice`, 'remove one of the entries');
      return;
    }
    blockedIds.add(id);
    const known = byId.get(id);
    if (known?.section === 'completed') return; // unblocked and finished since: done wins
    if (known) {
      if (known.explicitStatus && known.explicitStatus !== 'blocked') {
        at.at('id').issue(
          `task "${id}" is listed in blocked, but its queue entry says status: ${known.explicitStatus}`,
          'remove it from blocked, or remove the status from its queue entry',
        );
        return;
      }
      const blockedAt = readString(raw['blocked-at'], at.at('blocked-at'));
      const reason = readString(raw.reason, at.at('reason'));
      known.state.status = 'blocked';
      if (blockedAt !== undefined) known.state.blockedAt = blockedAt;
      if (known.state.reason === undefined && reason !== undefined) known.state.reason = reason;
      return;
    }
    const entry = readEntry(raw, at, 'blocked');
    if (!entry) return;
    if (entry.explicitStatus && entry.explicitStatus !== 'blocked') {
      at.at('status').issue(
        `task "${id}" is in blocked but its status is ${entry.explicitStatus}`,
        'move it to queue, or remove its status',
      );
    }
    blockedOnly.push(entry);
  });

  const ordered = [
    ...byCompletion(completed, (e) => e.state.completedAt),
    ...queue,
    ...blockedOnly,
  ];
  out.tasks = ordered.map((e) => e.task);
  for (const e of ordered) state.tasks[e.task.id] = e.state;

  // Checked with stand-ins for unreadable entries, so that only real problems show.
  const checked = [...ordered, ...entries.filter((e) => e.placeholder)];
  for (const problem of validateTasks(checked.map((e) => e.task))) {
    const e = checked[problem.index];
    if (!e || e.placeholder) continue;
    const required = TASK_TYPE_FIELDS[e.task.type]?.required ?? [];
    const isRequiredField = problem.field !== undefined && required.includes(problem.field);
    // A type's fields are what an agent needs to run the task: only tasks that will run need them
    // (not done ones, nor the bare `{id, blocked-at, reason}` entries the original wrote).
    if (isRequiredField && e.state.status !== 'pending' && e.state.status !== 'failed') continue;
    const at = problem.field ? e.at.at(problem.field) : e.at;
    at.issue(
      isRequiredField && e.typeInferred
        ? `${problem.message} (no type was written, so ${e.task.type} was assumed)`
        : problem.message,
      isRequiredField && e.typeInferred ? `${problem.fix}, or write the task's type` : problem.fix,
    );
  }

  const stats = readMap(map.stats, c.at('stats'));
  if (stats) {
    checkKeys(stats, c.at('stats'), STATS_KEYS, { strict: false, what: 'stats key' });
    const startedAt = readString(stats['started-at'], c.at('stats').at('started-at'));
    if (startedAt !== undefined) state.startedAt = startedAt;
    const completedAt = readString(stats['completed-at'], c.at('stats').at('completed-at'));
    if (completedAt !== undefined) state.completedAt = completedAt;
  }

  const human = readMap(map['human-needed'], c.at('human-needed'));
  if (human) {
    const hc = c.at('human-needed');
    checkKeys(human, hc, HUMAN_NEEDED_KEYS, { strict: true, what: 'human-needed key' });
    const reason = readString(human.reason, hc.at('reason'));
    if (reason === undefined && (human.reason === undefined || human.reason === null)) {
      hc.issue('human-needed has no reason', 'add "reason: <what the person must decide>"');
    }
    const details = readString(human.details, hc.at('details'));
    const options = readStringList(human.options, hc.at('options')) ?? [];
    const taskId = readString(human['task-id'], hc.at('task-id')) ?? currentTask ?? '';
    if (reason !== undefined) {
      state.humanNeeded = { reason, options, taskId };
      if (details !== undefined) state.humanNeeded.details = details;
    }
  }

  state.deferredItems = readStringList(map['deferred-items'], c.at('deferred-items')) ?? [];

  const run = readMap(map.run, c.at('run'));
  if (run) {
    const rc = c.at('run');
    checkKeys(run, rc, RUN_KEYS, { strict: true, what: 'run key' });
    state.iterations =
      readNumber(run.iterations, rc.at('iterations'), { integer: true, min: 0, example: '3' }) ?? 0;
    state.costUsd =
      readNumber(run['cost-usd'], rc.at('cost-usd'), { min: 0, example: '1.25' }) ?? 0;
    const tokens = readTokens(run.tokens, rc.at('tokens'), checks);
    if (tokens) state.tokens = tokens;
    if (run['stop-reason'] !== undefined && run['stop-reason'] !== null) {
      const stop = readWithSchema(
        checks.stopReason,
        renameKeys(run['stop-reason'], camelCase),
        rc.at('stop-reason'),
        kebabCase,
      );
      if (stop) state.stopReason = stop;
    }
    const reason = readString(run.reason, rc.at('reason'));
    if (reason !== undefined) state.reason = reason;
    const answer = readMap(run['human-answer'], rc.at('human-answer'));
    if (answer) {
      const ac = rc.at('human-answer');
      checkKeys(answer, ac, ['task-id', 'answer'], { strict: true, what: 'human-answer key' });
      const text = readString(answer.answer, ac.at('answer'));
      const taskId = readString(answer['task-id'], ac.at('task-id'));
      if (text === undefined && (answer.answer === undefined || answer.answer === null)) {
        ac.issue('human-answer has no answer', 'add "answer: <the decision>"');
      }
      if (text !== undefined)
        state.humanAnswer = taskId === undefined ? { answer: text } : { taskId, answer: text };
    }
    const updatedAt = readString(run['updated-at'], rc.at('updated-at'));
    if (updatedAt !== undefined) state.updatedAt = updatedAt;
    out.logSeq =
      readNumber(run['log-seq'], rc.at('log-seq'), { integer: true, min: 0, example: '120' }) ?? 0;
    out.logOffset =
      readNumber(run['log-offset'], rc.at('log-offset'), {
        integer: true,
        min: 0,
        example: '48213',
      }) ?? 0;
  }
  return out;
}

function compactTokens(t: TokenUsage): Record<string, number> | undefined {
  const out: Record<string, number> = {};
  if (t.input) out.input = t.input;
  if (t.output) out.output = t.output;
  if (t.cacheRead) out['cache-read'] = t.cacheRead;
  if (t.cacheCreation) out['cache-creation'] = t.cacheCreation;
  return Object.keys(out).length ? out : undefined;
}

/** The time a done task took, for `elapsed`: its agents' time, else completed minus started. */
function taskElapsedMs(s: TaskState): number | undefined {
  if (s.durationMs > 0) return s.durationMs;
  if (s.completedAt && s.startedAt) {
    const ms = Date.parse(s.completedAt) - Date.parse(s.startedAt);
    if (Number.isFinite(ms) && ms >= 0) return ms;
  }
  return undefined;
}

function entryFor(
  task: Task,
  s: TaskState,
  section: 'queue' | 'completed',
): Record<string, unknown> {
  const out = taskToYaml(task);
  for (const key of TASK_STATE_KEYS) delete out[key];
  if (section === 'queue' && s.status !== 'pending' && s.status !== 'blocked')
    out.status = s.status;
  if (s.startedAt !== undefined) out['started-at'] = s.startedAt;
  if (s.completedAt !== undefined) out['completed-at'] = s.completedAt;
  const elapsedMs = section === 'completed' ? taskElapsedMs(s) : undefined;
  if (elapsedMs !== undefined) {
    const elapsed = formatDuration(elapsedMs);
    out.elapsed = elapsed;
    // `elapsed` is rounded for people; the exact figure goes alongside when it differs.
    if (parseDuration(elapsed) !== s.durationMs) out['duration-ms'] = s.durationMs;
  } else if (s.durationMs !== 0) out['duration-ms'] = s.durationMs;
  if (s.summary !== undefined) out.summary = s.summary;
  // A blocked task's reason and time are in its `blocked` entry.
  if (s.status !== 'blocked') {
    if (s.reason !== undefined) out.reason = s.reason;
    if (s.blockedAt !== undefined) out['blocked-at'] = s.blockedAt;
  }
  if (s.notBefore !== undefined) out['not-before'] = s.notBefore;
  if (s.filesChanged !== undefined) out['files-changed'] = [...s.filesChanged];
  if (s.question !== undefined) out.question = { ...s.question, options: [...s.question.options] };
  if (s.costUsd !== 0) out['cost-usd'] = s.costUsd;
  const tokens = compactTokens(s.tokens);
  if (tokens) out.tokens = tokens;
  if (s.attempts.length) out.attempts = s.attempts.map((a) => renameKeys(a, kebabCase));
  return out;
}

/**
 * PROGRESS.yaml for a sprint's state, in the original plugin's layout with
 * this project's fields alongside: `queue` holds every task not done (in
 * definition order; blocked ones too, so a resume reruns them), `completed`
 * the done ones in completion order, `blocked` an `{id, blocked-at, reason}`
 * entry per blocked task, `stats` computed, and `run:` the runner's totals and
 * journal checkpoint (`meta.logSeq`, `meta.logOffset`). The text always
 * parses, is the same for the same input, and has no anchors or aliases.
 *
 * `now` ends `stats.elapsed` while the sprint is unfinished; without it the
 * state's `updatedAt` does, so the output stays deterministic.
 *
 * With `meta.overview` (the sprint's overview and SPRINT.yaml's digest), the
 * last line is the overview for `sprint status` (see `overviewLine`).
 */
export function renderProgressYaml(
  definition: SprintDefinition,
  state: SprintState,
  meta: {
    sprintId: string;
    logSeq: number;
    logOffset: number;
    overview?: { sprintYamlHash: string; value: SprintOverview };
  },
  now?: Date,
): string {
  const open: [Task, TaskState][] = [];
  let done: [Task, TaskState][] = [];
  for (const task of definition.tasks) {
    const s = state.tasks[task.id] ?? initialTaskState();
    (s.status === 'done' ? done : open).push([task, s]);
  }
  done = byCompletion(done, ([, s]) => s.completedAt);

  let totalDoneMs = 0;
  let timedDone = 0;
  const completed = done.map(([task, s]) => {
    const ms = taskElapsedMs(s);
    if (ms !== undefined) {
      totalDoneMs += ms;
      timedDone++;
    }
    return entryFor(task, s, 'completed');
  });
  const queue = open.map(([task, s]) => entryFor(task, s, 'queue'));
  const blocked = open
    .filter(([, s]) => s.status === 'blocked')
    .map(([task, s]) => {
      const entry: Record<string, unknown> = { id: task.id };
      if (s.blockedAt !== undefined) entry['blocked-at'] = s.blockedAt;
      if (s.reason !== undefined) entry.reason = s.reason;
      return entry;
    });
  const running = open.find(([, s]) => s.status === 'running');

  const end = state.completedAt ?? now?.toISOString() ?? state.updatedAt;
  const sprintMs =
    state.startedAt && end ? Date.parse(end) - Date.parse(state.startedAt) : Number.NaN;
  const data: Record<string, unknown> = {
    'sprint-id': meta.sprintId,
    status: state.status,
    'current-task': running ? running[0].id : null,
    queue,
    completed,
    blocked,
    stats: {
      'started-at': state.startedAt ?? null,
      'completed-at': state.completedAt ?? null,
      'tasks-total': definition.tasks.length,
      'tasks-completed': done.length,
      'tasks-blocked': blocked.length,
      elapsed: Number.isFinite(sprintMs) && sprintMs >= 0 ? formatDuration(sprintMs) : null,
      'avg-task-time': timedDone ? formatDuration(totalDoneMs / timedDone) : null,
    },
  };
  if (state.humanNeeded) {
    const h = state.humanNeeded;
    const human: Record<string, unknown> = { reason: h.reason };
    if (h.details !== undefined) human.details = h.details;
    human.options = [...h.options];
    human['task-id'] = h.taskId;
    data['human-needed'] = human;
  }
  data['deferred-items'] = [...state.deferredItems];
  const run: Record<string, unknown> = {
    iterations: state.iterations,
    'cost-usd': state.costUsd,
    tokens: {
      input: state.tokens.input,
      output: state.tokens.output,
      'cache-read': state.tokens.cacheRead,
      'cache-creation': state.tokens.cacheCreation,
    },
  };
  if (state.stopReason) run['stop-reason'] = renameKeys(state.stopReason, kebabCase);
  if (state.reason !== undefined) run.reason = state.reason;
  if (state.humanAnswer) run['human-answer'] = renameKeys(state.humanAnswer, kebabCase);
  if (state.updatedAt !== undefined) run['updated-at'] = state.updatedAt;
  run['log-seq'] = meta.logSeq;
  run['log-offset'] = meta.logOffset;
  data.run = run;

  const header =
    "Sprint progress, written by `sprint`. The original plugin's fields come first;\n" +
    "status, attempts, cost and the run: map are this tool's and are safe to leave alone.";
  if (!meta.overview) return toBlockYaml(data, header);
  const text = toBlockYaml(
    data,
    `${header}\nThe last line sums it up for \`sprint status\` until this file or SPRINT.yaml changes.`,
  );
  return text + overviewLine(text, meta.overview.sprintYamlHash, meta.overview.value);
}
