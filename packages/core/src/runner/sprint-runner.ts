import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { AgentRegistry } from '../agents/agent-registry.js';
import type { SprintHook } from '../hooks/hook.js';
import { InvalidSprintError, SprintFinishedError } from '../model/errors.js';
import type { NewRunEvent, StopReason } from '../model/events.js';
import { isFinalSprintStatus, type SprintStatus } from '../model/status.js';
import { finishedTaskIds, validateTasks } from '../model/validate.js';
import { type NotifyOptions, RunNotifier } from '../notify/run-notifier.js';
import { processStartTime } from '../process/process-group.js';
import { Redactor, secretsOf } from '../secrets/redactor.js';
import type { ControlRequest, SprintStore } from '../stores/sprint-store.js';
import { worktreeIsolation } from '../worktrees/worktree-isolation.js';
import { endOrphanedAttempts, recoveryEvents } from './crash-recovery.js';
import { resolveOptions } from './resolve-options.js';
import { pauseText } from './run-end.js';
import type { ControlOptions, ControlOutcome, ResumeOptions, RunOptions } from './run-options.js';
import type { RunResult } from './run-result.js';
import { RunSession } from './run-session.js';
import type { RunnerParts } from './runner-parts.js';
import type { TaskWorkspaces } from './task-workspace.js';

export { DEFAULT_MAX_ITERATIONS, DEFAULT_TASK_TIMEOUT_MS } from './resolve-options.js';

/** SIGTERM, then SIGKILL this much later, to an attempt's processes on stop or cancel. */
const DEFAULT_STOP_GRACE_MS = 500;

export interface SprintRunnerOptions {
  store: SprintStore;
  agents: AgentRegistry;
  /** Run in order at each hook point. See `defaultHooks` for verify and git-commit. */
  hooks?: SprintHook[];
  /** How often a run looks for pause/stop/cancel requests from other processes (ms). */
  controlPollMs?: number;
  /** How long to wait for an agent to end after its signal was aborted before giving up on it (ms). */
  abortGraceMs?: number;
  /**
   * On stop or cancel, how long the running attempts' processes get after
   * SIGTERM before everything carrying their run marker gets SIGKILL (ms,
   * default 500), so that a stop is answered within a second.
   */
  stopGraceMs?: number;
  host?: string;
  /**
   * Values never to store or report: they are replaced in agent activity,
   * results and messages before anything is written. Default: the values of
   * this process's secret-looking environment variables (KEY, TOKEN, SECRET...).
   */
  secrets?: Iterable<string>;
  /** Notification targets beside each sprint's `config.notify`, the public URL for links, delivery limits. */
  notify?: NotifyOptions;
  /**
   * Where each attempt works: by default a git worktree per task when the
   * sprint's `isolation` (or the run's) asks for one (see `worktreeIsolation`);
   * `null` keeps every task in the project directory.
   */
  workspaces?: TaskWorkspaces | null;
}

/**
 * Runs a sprint's tasks through agents and records every step in the store.
 *
 * @example
 * const runner = new SprintRunner({
 *   store: new SprintDirectoryStore({ root: '.claude/sprints' }),
 *   agents: new AgentRegistry({ default: new NoopAgent() }),
 *   hooks: defaultHooks(),
 * });
 * const result = await runner.run('2026-01-15_my-sprint', { maxIterations: 20 });
 */
export class SprintRunner {
  readonly #parts: RunnerParts;
  readonly #notifyOptions: NotifyOptions | undefined;

  constructor(options: SprintRunnerOptions) {
    this.#notifyOptions = options.notify;
    this.#parts = {
      redactor: new Redactor(options.secrets ?? secretsOf(process.env)),
      store: options.store,
      agents: options.agents,
      hooks: options.hooks ?? [],
      controlPollMs: options.controlPollMs ?? 250,
      abortGraceMs: options.abortGraceMs ?? 10_000,
      stopGraceMs: options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS,
      host: options.host ?? hostname(),
      active: new Map(),
      workspaces:
        options.workspaces === null ? undefined : (options.workspaces ?? worktreeIsolation()),
    };
  }

  get store(): SprintStore {
    return this.#parts.store;
  }

  /** Starts (or continues) a sprint and runs until it completes, blocks, needs a human, pauses, stops or hits a limit. */
  run(sprintId: string, options: RunOptions = {}): Promise<RunResult> {
    return this.#run(sprintId, options);
  }

  /** Continues a paused, blocked, needs-human or interrupted sprint; `answer` goes to the task that asked. */
  resume(sprintId: string, options: ResumeOptions = {}): Promise<RunResult> {
    return this.#run(sprintId, options);
  }

  /**
   * Lets the running task(s) finish, then stops. `requestedBy` (who asks, default this
   * process) is recorded and said in the sprint's status: `paused at the request of ...`.
   */
  pause(sprintId: string, options: ControlOptions = {}): Promise<ControlOutcome> {
    return this.#control(sprintId, {
      action: 'pause',
      requestedAt: new Date().toISOString(),
      requestedBy: options.requestedBy,
    });
  }

  /** Interrupts the running agent(s) now; their tasks go back to pending and rerun on resume. */
  stop(sprintId: string, options: ControlOptions = {}): Promise<ControlOutcome> {
    return this.#control(sprintId, {
      action: 'stop',
      requestedAt: new Date().toISOString(),
      requestedBy: options.requestedBy,
    });
  }

  /** Interrupts the running agent(s) and ends the sprint as cancelled. */
  cancel(sprintId: string, reason: string, options: ControlOptions = {}): Promise<ControlOutcome> {
    return this.#control(sprintId, {
      action: 'cancel',
      reason,
      requestedAt: new Date().toISOString(),
      requestedBy: options.requestedBy,
    });
  }

  async #control(sprintId: string, request: ControlRequest): Promise<ControlOutcome> {
    const { store, host, active } = this.#parts;
    request.requestedBy ??= `pid ${process.pid} on ${host}`;
    const local = active.get(sprintId);
    if (local) {
      local.deliver(request);
      const { state } = await store.load(sprintId);
      return { action: request.action, outcome: 'requested', status: state.status };
    }
    const lock = await store.inspectLock(sprintId);
    if (lock?.alive) {
      await store.requestControl(sprintId, request);
      const { state } = await store.load(sprintId);
      return { action: request.action, outcome: 'requested', status: state.status };
    }
    // Nobody runs it: apply what still means something, directly and under the lock.
    const { status } = (await store.load(sprintId)).state;
    if (isFinalSprintStatus(status)) {
      return { action: request.action, outcome: 'not-running', status };
    }
    if (request.action !== 'cancel' && status !== 'in-progress') {
      return { action: request.action, outcome: 'not-running', status };
    }
    const held = await store.acquireLock(sprintId, this.#holder(randomUUID()));
    try {
      const state = (await store.load(sprintId)).state;
      const events: NewRunEvent[] = recoveryEvents(
        await endOrphanedAttempts(state, host),
        request.action,
      );
      events.push({
        type: 'control',
        action: request.action,
        reason: request.reason,
        requestedBy: request.requestedBy,
      });
      const to: SprintStatus = request.action === 'cancel' ? 'cancelled' : 'paused';
      let stopReason: StopReason;
      let reason = request.reason;
      if (request.action === 'cancel') {
        stopReason = { kind: 'cancelled', reason: request.reason ?? 'cancelled' };
      } else {
        const paused = {
          kind: request.action === 'pause' ? ('paused' as const) : ('stopped' as const),
          ...(request.requestedBy ? { requestedBy: request.requestedBy } : {}),
        };
        stopReason = paused;
        reason = pauseText(paused);
      }
      events.push({ type: 'sprint-status', from: status, to, reason, stopReason });
      await store.append(sprintId, events);
      await store.flush(sprintId);
      return { action: request.action, outcome: 'applied', status: to };
    } finally {
      await held.release();
    }
  }

  #holder(runId: string) {
    return {
      pid: process.pid,
      host: this.#parts.host,
      runId,
      startedAt: new Date().toISOString(),
      pidStart: processStartTime(process.pid),
    };
  }

  async #run(sprintId: string, options: RunOptions): Promise<RunResult> {
    const { store, agents, active } = this.#parts;
    const startedAtMs = Date.now();
    const preflight = await store.load(sprintId);
    const issues = validateTasks(preflight.definition.tasks, {
      finished: finishedTaskIds(preflight.state),
    });
    if (issues.length) throw new InvalidSprintError(issues);
    if (isFinalSprintStatus(preflight.state.status)) {
      throw new SprintFinishedError(sprintId, preflight.state.status);
    }
    const resolved = resolveOptions(preflight.definition, options);
    agents.assertCovers(
      preflight.definition.tasks.filter((t) => preflight.state.tasks[t.id]?.status !== 'done'),
    );
    // A usage error of isolation (worktrees outside git) is found before anything is written.
    await this.#parts.workspaces?.check?.({
      definition: preflight.definition,
      projectDir: preflight.projectDir,
      sprintDir: preflight.sprintDir,
      concurrency: resolved.concurrency,
      isolation: options.isolation,
    });
    const runId = randomUUID();
    const lock = await store.acquireLock(sprintId, this.#holder(runId));
    // Notifications follow the run's events; their delivery never holds the run up.
    const notifier = RunNotifier.forRun(preflight, this.#notifyOptions);
    const observed = notifier ? notifier.observe(options) : options;
    try {
      return await new RunSession(
        this.#parts,
        sprintId,
        runId,
        resolved,
        observed,
        startedAtMs,
      ).execute();
    } finally {
      active.delete(sprintId);
      await lock.release();
      await notifier?.close();
    }
  }
}
