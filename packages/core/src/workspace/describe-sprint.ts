import type { HumanNeeded, TokenUsage } from '../model/agent-result.js';
import type { FallbackPricing, StopReason } from '../model/events.js';
import {
  countTasks,
  estimatedCostUsd,
  fallbackPricing,
  readyTasks,
  type TaskCounts,
} from '../model/fold.js';
import type { Task } from '../model/sprint.js';
import type { SprintState, Tampering, TaskState } from '../model/state.js';
import type { SprintStatus, TaskStatus } from '../model/status.js';
import { taskLabel } from '../model/task-info.js';
import type { LockInfo, SprintSnapshot } from '../stores/sprint-store.js';

/** What `sprint status --json` prints and `GET /sprints/{id}` serves. */
export interface SprintStatusReport {
  id: string;
  name: string;
  status: SprintStatus;
  /** Whether a live runner holds the sprint now. */
  running: boolean;
  runner?: { pid: number; host: string; startedAt: string; alive: boolean };
  /** The sprint says in-progress but no runner is alive: it was interrupted; resume it. */
  interrupted: boolean;
  /**
   * The runner's log is gone or replaced and what is left is not its record
   * (`SprintSnapshot.logLost`): why. Nothing runs until the files are trusted.
   */
  logLost?: string;
  current: {
    id: string;
    title: string;
    type: string;
    attempt: number;
    agent: string;
    startedAt: string;
    elapsedMs: number;
  }[];
  counts: TaskCounts;
  tasks: {
    id: string;
    type: string;
    title: string;
    priority: string;
    status: TaskStatus;
    attempts: number;
    /** `true` when the run pauses once this task is done (`pause-after`); absent otherwise. */
    pauseAfter?: true;
    summary?: string;
    reason?: string;
    /** Under isolation: the task's worktree, branch and merge-queue stage (and the integrated commit). */
    worktree?: TaskState['worktree'];
  }[];
  /**
   * Under isolation: every task with a live worktree (running, in the merge
   * queue, or kept for a person), with its branch and stage.
   */
  worktrees: (NonNullable<TaskState['worktree']> & { taskId: string })[];
  blocked: { taskId: string; reason: string }[];
  humanNeeded?: HumanNeeded & { taskId: string };
  reason?: string;
  stopReason?: StopReason;
  iterations: number;
  costUsd: number;
  /**
   * The part of `costUsd` that is an estimate: priced from the tokens with the
   * price table (`config.prices`) for agents that report no cost. 0 when the
   * providers reported every cost.
   */
  estimatedCostUsd: number;
  /**
   * The part of that estimate priced at the table's `*` fallback, because the
   * model was unknown or not in the table; absent when none was.
   */
  fallbackPricing?: FallbackPricing;
  tokens: TokenUsage;
  deferredItems: string[];
  /**
   * Writes into the runner's files it did not make (a task's agent writing the
   * event log, PROGRESS.yaml, state.json...), each naming the tasks that were
   * running, and where the foreign bytes were kept.
   */
  tampering?: Tampering[];
  startedAt?: string;
  completedAt?: string;
  updatedAt?: string;
  goals: string[];
}

/**
 * Everything in a status report but the task list and what depends on the
 * moment of reading (the lock, elapsed times): small whatever the sprint's
 * size, so a store can keep it beside its checkpoint and `sprint status` read
 * it without loading every task.
 */
export type SprintOverview = Omit<
  SprintStatusReport,
  'tasks' | 'running' | 'runner' | 'interrupted' | 'logLost' | 'current'
> & {
  /** The running tasks; `startedAt` is missing when the state does not say. */
  current: (Omit<SprintStatusReport['current'][number], 'elapsedMs' | 'startedAt'> & {
    startedAt?: string;
  })[];
};

/** A status report without its task list: what `sprint status` prints. */
export type SprintStatusBrief = Omit<SprintStatusReport, 'tasks'>;

/** The overview of a sprint: one pass over its tasks (a few milliseconds at 10,000). */
export function sprintOverview(
  snapshot: Pick<SprintSnapshot, 'definition' | 'state'>,
): SprintOverview {
  return overviewAndTasks(snapshot, false).overview;
}

function overviewAndTasks(
  snapshot: Pick<SprintSnapshot, 'definition' | 'state'>,
  withTasks: boolean,
): { overview: SprintOverview; tasks: SprintStatusReport['tasks'] } {
  const { definition, state } = snapshot;
  const current: SprintOverview['current'] = [];
  const tasks: SprintStatusReport['tasks'] = [];
  const worktrees: SprintOverview['worktrees'] = [];
  const over = state.status === 'completed';
  const blocked: SprintOverview['blocked'] = [];
  let withState = 0;
  const note = (id: string, t: TaskState, task: Task | undefined) => {
    if (t.status === 'running') {
      const a = t.attempts.at(-1);
      current.push({
        id,
        title: task ? taskLabel(task) : id,
        type: task?.type ?? '?',
        attempt: a?.n ?? 1,
        agent: a?.agent ?? '?',
        startedAt: a?.startedAt ?? t.startedAt,
      });
    } else if (t.status === 'blocked') blocked.push({ taskId: id, reason: t.reason ?? 'blocked' });
    // A completed sprint's run removes every worktree it made, kept ones too (no event says so).
    if (t.worktree && t.worktree.stage !== 'removed' && t.worktree.path && !over)
      worktrees.push({ taskId: id, ...t.worktree });
  };
  for (const task of definition.tasks) {
    const ts = state.tasks[task.id];
    if (withTasks) {
      tasks.push({
        id: task.id,
        type: task.type,
        title: taskLabel(task),
        priority: task.priority,
        status: ts?.status ?? 'pending',
        attempts: ts?.attempts.length ?? 0,
        ...(task.fields['pause-after'] === true ? { pauseAfter: true as const } : {}),
        summary: ts?.summary,
        reason: ts?.reason,
        worktree: ts?.worktree,
      });
    }
    if (ts) {
      withState++;
      note(task.id, ts, task);
    }
  }
  // A state without a task in the definition still shows where it stands.
  if (withState < Object.keys(state.tasks).length) {
    const defined = new Set(definition.tasks.map((t) => t.id));
    for (const [id, t] of Object.entries(state.tasks)) if (!defined.has(id)) note(id, t, undefined);
  }
  const overview: SprintOverview = {
    id: definition.id,
    name: definition.name,
    status: state.status,
    current,
    counts: countTasks(state),
    worktrees,
    blocked,
    humanNeeded: state.humanNeeded,
    reason: state.reason,
    stopReason: state.stopReason,
    iterations: state.iterations,
    costUsd: state.costUsd,
    estimatedCostUsd: estimatedCostUsd(state),
    fallbackPricing: fallbackPricing(state),
    tokens: state.tokens,
    deferredItems: state.deferredItems,
    tampering: state.tampering?.length ? state.tampering : undefined,
    startedAt: state.startedAt,
    completedAt: state.completedAt,
    updatedAt: state.updatedAt,
    goals: definition.goals,
  };
  return { overview, tasks };
}

/** The status of a sprint from its overview and lock, without the task list. */
export function describeOverview(
  overview: SprintOverview,
  lock: LockInfo | null,
  now: number = Date.now(),
  /** `SprintSnapshot.logLost`: the sprint is held until a person trusts what is left. */
  logLost?: string,
): SprintStatusBrief {
  const running = Boolean(lock?.alive);
  const { id, name, status, current, ...rest } = overview;
  return {
    id,
    name,
    status,
    running,
    runner: lock
      ? { pid: lock.pid, host: lock.host, startedAt: lock.startedAt, alive: lock.alive }
      : undefined,
    // Not to be resumed as it is: held until a person trusts what is left.
    interrupted: !running && status === 'in-progress' && !logLost,
    ...(logLost ? { logLost } : {}),
    current: current.map((c) => {
      const startedAt = c.startedAt ?? new Date(now).toISOString();
      return { ...c, startedAt, elapsedMs: Math.max(0, now - Date.parse(startedAt)) };
    }),
    ...rest,
  };
}

/** The status of a sprint for people and dashboards, from a snapshot and its lock. */
export function describeSprint(
  snapshot: SprintSnapshot,
  lock: LockInfo | null,
  now: number = Date.now(),
): SprintStatusReport {
  const { overview, tasks } = overviewAndTasks(snapshot, true);
  const { id, name, status, running, runner, interrupted, logLost, current, counts, ...after } =
    describeOverview(overview, lock, now, snapshot.logLost);
  // The keys in the order the report always had: `--json` output is read by people too.
  return {
    id,
    name,
    status,
    running,
    runner,
    interrupted,
    ...(logLost ? { logLost } : {}),
    current,
    counts,
    tasks,
    ...after,
  };
}

export interface PlannedTask {
  task: Task;
  label: string;
  status: TaskStatus;
}

/**
 * The order tasks would run in with one agent at a time (dependencies, then
 * priority, then written order), assuming each succeeds: the dry-run preview.
 * Tasks that can never run (their dependencies are blocked) come last.
 */
export function planRun(snapshot: Pick<SprintSnapshot, 'definition' | 'state'>): PlannedTask[] {
  const { definition } = snapshot;
  const sim: SprintState = {
    ...snapshot.state,
    tasks: Object.fromEntries(
      Object.entries(snapshot.state.tasks).map(([id, t]) => [
        id,
        {
          ...t,
          notBefore: undefined,
          status: t.status === 'running' || t.status === 'blocked' ? 'pending' : t.status,
        },
      ]),
    ),
  };
  const plan: PlannedTask[] = [];
  for (;;) {
    const next = readyTasks(definition, sim, Number.POSITIVE_INFINITY)[0];
    if (!next) break;
    plan.push({
      task: next,
      label: taskLabel(next),
      status: snapshot.state.tasks[next.id]?.status ?? 'pending',
    });
    sim.tasks[next.id] = { ...sim.tasks[next.id]!, status: 'done' };
  }
  const planned = new Set(plan.map((p) => p.task.id));
  for (const task of definition.tasks) {
    const st = snapshot.state.tasks[task.id]?.status ?? 'pending';
    if (!planned.has(task.id) && st !== 'done' && st !== 'skipped' && st !== 'cancelled') {
      plan.push({ task, label: taskLabel(task), status: st });
    }
  }
  return plan;
}
