import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { AgentContext, PreviousResult } from '../agents/agent.js';
import type { AgentRegistry } from '../agents/agent-registry.js';
import type { HookContext, HookOutcome, HookPoint, SprintHook } from '../hooks/hook.js';
import {
  type AgentError,
  type AgentResult,
  AgentResultSchema,
  failedResult,
  failureReaction,
  type HumanNeeded,
} from '../model/agent-result.js';
import { InvalidOptionsError, InvalidSprintError, SprintFinishedError } from '../model/errors.js';
import type { NewRunEvent, RunEvent, StopReason } from '../model/events.js';
import { type RetryPolicy, type SprintDefinition, type Task, taskLabel } from '../model/sprint.js';
import { applyEventInPlace, countTasks, nextReadyTask, type SprintState } from '../model/state.js';
import { isFinalSprintStatus, type SprintStatus } from '../model/status.js';
import { validateTasks } from '../model/validate.js';
import { type NotifyOptions, RunNotifier } from '../notify/run-notifier.js';
import {
  isSameProcessAlive,
  processStartTime,
  terminateProcessGroup,
} from '../process/process-group.js';
import { Redactor, secretsOf } from '../secrets/redactor.js';
import type { ControlRequest, SprintSnapshot, SprintStore } from '../stores/sprint-store.js';
import { DEFAULT_RETRY, RATE_LIMIT_BACKOFF, rateLimitDelay, retryDelay } from './retry.js';
import type { ControlOutcome, Progress, ResumeOptions, RunOptions } from './run-options.js';
import type { RunResult, TaskRunResult } from './run-result.js';

export interface SprintRunnerOptions {
  store: SprintStore;
  agents: AgentRegistry;
  /** Run in order at each hook point. See `defaultHooks` for verify and git-commit. */
  hooks?: SprintHook[];
  /** How often a run looks for pause/stop/cancel requests from other processes (ms). */
  controlPollMs?: number;
  /** How long to wait for an agent to end after its signal was aborted before giving up on it (ms). */
  abortGraceMs?: number;
  host?: string;
  /**
   * Values never to store or report: they are replaced in agent activity,
   * results and messages before anything is written. Default: the values of
   * this process's secret-looking environment variables (KEY, TOKEN, SECRET...).
   */
  secrets?: Iterable<string>;
  /** Notification targets beside each sprint's `config.notify`, the public URL for links, delivery limits. */
  notify?: NotifyOptions;
}

export const DEFAULT_MAX_ITERATIONS = 30;
export const DEFAULT_TASK_TIMEOUT_MS = 30 * 60_000;
/** The longest delay a Node timer can wait (about 24.8 days); longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Agents get the summaries of this many most recently finished tasks. */
export const MAX_PREVIOUS_RESULTS = 50;

interface ResolvedOptions {
  maxIterations: number;
  concurrency: number;
  maxCostUsd: number | undefined;
  taskTimeoutMs: number;
  retry: RetryPolicy;
}

type Halt =
  | { kind: 'blocked'; taskId?: string; reason: string }
  | { kind: 'needs-human'; taskId: string; reason: string; details?: string; options: string[] }
  | { kind: 'limit'; limit: 'max-iterations' | 'max-cost' | 'task-timeout'; detail: string };

type Interrupt = { kind: 'stop' } | { kind: 'cancel'; reason: string };

interface ActiveRun {
  deliver(request: ControlRequest): void;
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
  readonly #store: SprintStore;
  readonly #agents: AgentRegistry;
  readonly #hooks: SprintHook[];
  readonly #controlPollMs: number;
  readonly #abortGraceMs: number;
  readonly #host: string;
  readonly #active = new Map<string, ActiveRun>();
  readonly #redactor: Redactor;
  readonly #notifyOptions: NotifyOptions | undefined;

  constructor(options: SprintRunnerOptions) {
    this.#redactor = new Redactor(options.secrets ?? secretsOf(process.env));
    this.#store = options.store;
    this.#agents = options.agents;
    this.#hooks = options.hooks ?? [];
    this.#controlPollMs = options.controlPollMs ?? 250;
    this.#abortGraceMs = options.abortGraceMs ?? 10_000;
    this.#host = options.host ?? hostname();
    this.#notifyOptions = options.notify;
  }

  get store(): SprintStore {
    return this.#store;
  }

  /** Starts (or continues) a sprint and runs until it completes, blocks, needs a human, pauses, stops or hits a limit. */
  run(sprintId: string, options: RunOptions = {}): Promise<RunResult> {
    return this.#run(sprintId, options);
  }

  /** Continues a paused, blocked, needs-human or interrupted sprint; `answer` goes to the task that asked. */
  resume(sprintId: string, options: ResumeOptions = {}): Promise<RunResult> {
    return this.#run(sprintId, options);
  }

  /** Lets the running task(s) finish, then stops. */
  pause(sprintId: string): Promise<ControlOutcome> {
    return this.#control(sprintId, { action: 'pause', requestedAt: new Date().toISOString() });
  }

  /** Interrupts the running agent(s) now; their tasks go back to pending and rerun on resume. */
  stop(sprintId: string): Promise<ControlOutcome> {
    return this.#control(sprintId, { action: 'stop', requestedAt: new Date().toISOString() });
  }

  /** Interrupts the running agent(s) and ends the sprint as cancelled. */
  cancel(sprintId: string, reason: string): Promise<ControlOutcome> {
    return this.#control(sprintId, {
      action: 'cancel',
      reason,
      requestedAt: new Date().toISOString(),
    });
  }

  async #control(sprintId: string, request: ControlRequest): Promise<ControlOutcome> {
    request.requestedBy ??= `pid ${process.pid} on ${this.#host}`;
    const local = this.#active.get(sprintId);
    if (local) {
      local.deliver(request);
      const { state } = await this.#store.load(sprintId);
      return { action: request.action, outcome: 'requested', status: state.status };
    }
    const lock = await this.#store.inspectLock(sprintId);
    if (lock?.alive) {
      await this.#store.requestControl(sprintId, request);
      const { state } = await this.#store.load(sprintId);
      return { action: request.action, outcome: 'requested', status: state.status };
    }
    // Nobody runs it: apply what still means something, directly and under the lock.
    const snapshot = await this.#store.load(sprintId);
    const { status } = snapshot.state;
    if (isFinalSprintStatus(status)) {
      return { action: request.action, outcome: 'not-running', status };
    }
    if (request.action === 'pause' && status !== 'in-progress') {
      return { action: 'pause', outcome: 'not-running', status };
    }
    if (request.action === 'stop' && status !== 'in-progress') {
      return { action: 'stop', outcome: 'not-running', status };
    }
    const held = await this.#store.acquireLock(sprintId, this.#holder(randomUUID()));
    try {
      const events: NewRunEvent[] = [];
      const state = (await this.#store.load(sprintId)).state;
      for (const [taskId, t] of Object.entries(state.tasks)) {
        if (t.status !== 'running') continue;
        const attempt = t.attempts.at(-1);
        if (
          attempt?.pid &&
          attempt.host === this.#host &&
          isSameProcessAlive(attempt.pid, attempt.pidStart)
        ) {
          await terminateProcessGroup(attempt.pid);
        }
        events.push({
          type: 'task-finished',
          taskId,
          attempt: attempt?.n ?? 1,
          to: request.action === 'cancel' ? 'cancelled' : 'pending',
          outcome: request.action === 'cancel' ? 'cancelled' : 'interrupted',
          counted: false,
          error: { kind: 'cancelled', message: `the runner ended; ${request.action} applied` },
        });
      }
      events.push({
        type: 'control',
        action: request.action,
        reason: request.reason,
        requestedBy: request.requestedBy,
      });
      const to: SprintStatus = request.action === 'cancel' ? 'cancelled' : 'paused';
      const stopReason: StopReason =
        request.action === 'cancel'
          ? { kind: 'cancelled', reason: request.reason ?? 'cancelled' }
          : request.action === 'pause'
            ? { kind: 'paused' }
            : { kind: 'stopped' };
      events.push({ type: 'sprint-status', from: status, to, reason: request.reason, stopReason });
      await this.#store.append(sprintId, events);
      await this.#store.flush(sprintId);
      return { action: request.action, outcome: 'applied', status: to };
    } finally {
      await held.release();
    }
  }

  #holder(runId: string) {
    return {
      pid: process.pid,
      host: this.#host,
      runId,
      startedAt: new Date().toISOString(),
      pidStart: processStartTime(process.pid),
    };
  }

  #resolveOptions(definition: SprintDefinition, options: RunOptions): ResolvedOptions {
    const config = definition.config;
    const maxIterations = options.maxIterations ?? config.maxIterations ?? DEFAULT_MAX_ITERATIONS;
    const concurrency = options.concurrency ?? config.concurrency ?? 1;
    const maxCostUsd = options.maxCostUsd ?? config.maxCostUsd;
    const taskTimeoutMs = options.taskTimeoutMs ?? config.taskTimeoutMs ?? DEFAULT_TASK_TIMEOUT_MS;
    if (!Number.isInteger(maxIterations) || maxIterations < 1) {
      throw new InvalidOptionsError(
        `maxIterations must be a positive integer (got ${maxIterations})`,
      );
    }
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new InvalidOptionsError(`concurrency must be a positive integer (got ${concurrency})`);
    }
    if (maxCostUsd !== undefined && !(maxCostUsd > 0)) {
      throw new InvalidOptionsError(`maxCostUsd must be a positive number (got ${maxCostUsd})`);
    }
    if (!(taskTimeoutMs > 0) || taskTimeoutMs > MAX_TIMER_MS) {
      throw new InvalidOptionsError(
        `the per-task time limit must be between 1 ms and 24 days (got ${taskTimeoutMs} ms)`,
      );
    }
    const retry = { ...DEFAULT_RETRY, ...config.retry, ...options.retry };
    return { maxIterations, concurrency, maxCostUsd, taskTimeoutMs, retry };
  }

  async #run(sprintId: string, options: RunOptions): Promise<RunResult> {
    const startedAtMs = Date.now();
    const preflight = await this.#store.load(sprintId);
    const issues = validateTasks(preflight.definition.tasks);
    if (issues.length) throw new InvalidSprintError(issues);
    if (isFinalSprintStatus(preflight.state.status)) {
      throw new SprintFinishedError(sprintId, preflight.state.status);
    }
    const resolved = this.#resolveOptions(preflight.definition, options);
    this.#agents.assertCovers(
      preflight.definition.tasks.filter((t) => preflight.state.tasks[t.id]?.status !== 'done'),
    );
    const runId = randomUUID();
    const lock = await this.#store.acquireLock(sprintId, this.#holder(runId));
    // Notifications follow the run's events; their delivery never holds the run up.
    const notifier = RunNotifier.forRun(preflight, this.#notifyOptions);
    const observed = notifier ? notifier.observe(options) : options;
    try {
      return await new RunSession(this, sprintId, runId, resolved, observed, startedAtMs).execute();
    } finally {
      this.#active.delete(sprintId);
      await lock.release();
      await notifier?.close();
    }
  }

  /** @internal */
  get internals() {
    return {
      store: this.#store,
      agents: this.#agents,
      hooks: this.#hooks,
      host: this.#host,
      controlPollMs: this.#controlPollMs,
      abortGraceMs: this.#abortGraceMs,
      active: this.#active,
      redactor: this.#redactor,
    };
  }
}

/** One call of run/resume: the scheduling loop and its bookkeeping. */
class RunSession {
  readonly #internals: SprintRunner['internals'];
  readonly #store: SprintStore;
  readonly #sprintId: string;
  readonly #runId: string;
  readonly #opts: ResolvedOptions;
  readonly #options: RunOptions;
  readonly #startedAtMs: number;
  readonly #startedAt: string;

  #snapshot!: SprintSnapshot;
  #state!: SprintState;
  readonly #results: TaskRunResult[] = [];
  readonly #inflight = new Map<string, Promise<void>>();
  readonly #abort = new AbortController();
  #iterations = 0;
  #pauseRequested = false;
  #interrupt: Interrupt | undefined;
  #halt: Halt | undefined;
  #wake: (() => void) | undefined;
  #woken = false;
  /** Tasks waiting for a retry delay or a rate-limit reset: id -> earliest start (ms). */
  readonly #delayed = new Map<string, number>();
  /** Done tasks' summaries in completion order, for the next agents. */
  #previous: PreviousResult[] = [];
  #claimFailures = 0;
  /** Set when the loop itself failed: the run ends blocked with this reason. */
  #failure: string | undefined;
  #appendChain: Promise<unknown> = Promise.resolve();

  constructor(
    runner: SprintRunner,
    sprintId: string,
    runId: string,
    opts: ResolvedOptions,
    options: RunOptions,
    startedAtMs: number,
  ) {
    this.#internals = runner.internals;
    this.#store = this.#internals.store;
    this.#sprintId = sprintId;
    this.#runId = runId;
    this.#opts = opts;
    this.#options = options;
    this.#startedAtMs = startedAtMs;
    this.#startedAt = new Date(startedAtMs).toISOString();
  }

  /** Appends events in order (also those emitted while agents run) and folds them into our state. */
  #append(events: NewRunEvent[]): Promise<RunEvent[]> {
    const redactor = this.#internals.redactor;
    const clean = redactor.empty ? events : events.map((e) => redactor.value(e));
    const p = this.#appendChain.then(async () => {
      const stored = await this.#store.append(this.#sprintId, clean);
      for (const e of stored) {
        applyEventInPlace(this.#state, e);
        this.#options.onEvent?.(e);
      }
      return stored;
    });
    this.#appendChain = p.catch(() => undefined);
    return p;
  }

  #progressBase() {
    return {
      sprintId: this.#sprintId,
      counts: countTasks(this.#state),
      iterations: this.#iterations,
      costUsd: this.#state.costUsd,
      elapsedMs: Date.now() - this.#startedAtMs,
    };
  }

  /** Builds the progress value only when someone listens: counting is O(tasks). */
  #progress(make: () => Progress): void {
    const listener = this.#options.onProgress;
    if (!listener) return;
    try {
      listener(make());
    } catch {
      // A progress callback must never break the run.
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    if (wake) wake();
    else this.#woken = true;
  }

  #onControl(request: ControlRequest): void {
    // Requests made before this run started were meant for an earlier one.
    if (Date.parse(request.requestedAt) < this.#startedAtMs - 1000) return;
    void this.#append([
      {
        type: 'control',
        action: request.action,
        reason: request.reason,
        requestedBy: request.requestedBy,
      },
    ]).catch(() => undefined);
    if (request.action === 'pause') this.#pauseRequested = true;
    else
      this.#interruptRun(
        request.action === 'cancel'
          ? { kind: 'cancel', reason: request.reason ?? 'cancelled' }
          : { kind: 'stop' },
      );
    this.#notify();
  }

  #interruptRun(interrupt: Interrupt): void {
    // A cancel overrides a stop; the first stop wins otherwise.
    if (!this.#interrupt || interrupt.kind === 'cancel') this.#interrupt = interrupt;
    if (!this.#abort.signal.aborted) this.#abort.abort(interrupt.kind);
    this.#notify();
  }

  async execute(): Promise<RunResult> {
    const { active, controlPollMs } = this.#internals;
    active.set(this.#sprintId, { deliver: (r) => this.#onControl(r) });
    // A request written between our lock and now is for this run; older ones #onControl drops.
    const early = await this.#store.takeControl(this.#sprintId);
    this.#snapshot = await this.#store.load(this.#sprintId);
    this.#state = this.#snapshot.state;
    const byId = new Map(this.#snapshot.definition.tasks.map((t) => [t.id, t]));
    this.#previous = Object.entries(this.#state.tasks)
      .filter(([, t]) => t.status === 'done' && t.summary)
      .sort(([, a], [, b]) => (a.completedAt ?? '').localeCompare(b.completedAt ?? ''))
      .map(([taskId, t]) => {
        const def = byId.get(taskId);
        return { taskId, title: def ? taskLabel(def) : taskId, summary: t.summary ?? '' };
      });
    for (const [taskId, t] of Object.entries(this.#state.tasks)) {
      if ((t.status === 'pending' || t.status === 'failed') && t.notBefore) {
        this.#delayed.set(taskId, Date.parse(t.notBefore));
      }
    }

    const onSignal = () => this.#interruptRun({ kind: 'stop' });
    if (this.#options.signal?.aborted) onSignal();
    this.#options.signal?.addEventListener('abort', onSignal, { once: true });
    let polling = false;
    const poll = setInterval(() => {
      if (polling) return;
      polling = true;
      this.#store
        .takeControl(this.#sprintId)
        .then((r) => r && this.#onControl(r))
        .catch(() => undefined)
        .finally(() => {
          polling = false;
        });
    }, controlPollMs);
    poll.unref?.();

    try {
      await this.#start();
      if (early) this.#onControl(early);
      try {
        if (!this.#halt && !this.#interrupt) await this.#loop();
      } catch (error) {
        // Never leave agents running without an owner: stop them, then end the run as blocked.
        this.#failure = `the runner failed: ${errorMessage(error)}`;
        this.#interruptRun({ kind: 'stop' });
      }
      await Promise.allSettled(this.#inflight.values());
      const result = await this.#finish();
      return result;
    } finally {
      clearInterval(poll);
      this.#options.signal?.removeEventListener('abort', onSignal);
      await this.#appendChain;
      await this.#store.flush(this.#sprintId).catch(() => undefined);
    }
  }

  /** Recovers from a crash, records the answer, moves the sprint to in-progress, runs before-sprint hooks. */
  async #start(): Promise<void> {
    const { host } = this.#internals;
    const events: NewRunEvent[] = [
      {
        type: 'run-started',
        runId: this.#runId,
        pid: process.pid,
        host,
        resumed: this.#state.status !== 'not-started',
      },
    ];
    for (const [taskId, t] of Object.entries(this.#state.tasks)) {
      if (t.status !== 'running') continue;
      // The runner that owned this attempt died (kill -9, power loss): end its agent if it is still here.
      const attempt = t.attempts.at(-1);
      let detail = 'the runner ended while this task ran';
      if (
        attempt?.pid &&
        attempt.host === host &&
        isSameProcessAlive(attempt.pid, attempt.pidStart)
      ) {
        const how = await terminateProcessGroup(attempt.pid);
        detail += `; its orphaned agent (pid ${attempt.pid}) was ${how}`;
      }
      events.push({
        type: 'task-finished',
        taskId,
        attempt: attempt?.n ?? 1,
        to: 'pending',
        outcome: 'interrupted',
        counted: false,
        error: { kind: 'crash', message: detail },
      });
    }
    const answer = this.#options.answer;
    if (answer !== undefined) {
      const asked = this.#state.humanNeeded;
      events.push({
        type: 'human-answer',
        taskId: asked?.taskId,
        question: asked ? [asked.reason, asked.details].filter(Boolean).join('\n') : undefined,
        answer,
      });
    }
    if (this.#state.status !== 'in-progress') {
      events.push({ type: 'sprint-status', from: this.#state.status, to: 'in-progress' });
    }
    // An answer reopens the task that asked; other open questions stay open (and are
    // asked next). Resuming without an answer reruns every blocked task.
    const answered = answer !== undefined ? (this.#state.humanNeeded?.taskId ?? null) : undefined;
    for (const [taskId, t] of Object.entries(this.#state.tasks)) {
      if (t.status === 'blocked') {
        if (t.question && answered !== undefined && taskId !== answered) continue;
        events.push({
          type: 'task-status',
          taskId,
          from: 'blocked',
          to: 'pending',
          reason: 'resumed',
        });
      }
    }
    const from = this.#state.status;
    await this.#append(events);
    if (from !== 'in-progress') this.#statusProgress(from, 'in-progress');

    const outcome = await this.#runHooks('before-sprint', (h) => h.beforeSprint?.(this.#hookCtx()));
    if (outcome.blockingFailure) {
      this.#halt = { kind: 'blocked', reason: outcome.blockingFailure };
    }
  }

  #statusProgress(from: SprintStatus, to: SprintStatus): void {
    this.#progress(() => ({ ...this.#progressBase(), kind: 'sprint-status', from, to }));
  }

  #hookCtx(): HookContext {
    return {
      sprint: this.#snapshot.definition,
      state: this.#state,
      projectDir: this.#snapshot.projectDir,
      sprintDir: this.#snapshot.sprintDir,
      runtimeDir: this.#snapshot.runtimeDir,
      stateFiles: this.#snapshot.files,
      signal: this.#abort.signal,
    };
  }

  async #runHooks(
    point: HookPoint,
    call: (hook: SprintHook) => ReturnType<NonNullable<SprintHook['beforeSprint']>> | undefined,
    taskId?: string,
    options: { keepDeferred?: boolean } = {},
  ): Promise<{
    blockingFailure?: string;
    failedHook?: string;
    failure?: string;
    deferred: string[];
  }> {
    const deferred: string[] = [];
    let blockingFailure: string | undefined;
    let failedHook: string | undefined;
    let failure: string | undefined;
    for (const hook of this.#internals.hooks) {
      let outcome: HookOutcome | undefined;
      try {
        outcome = (await call(hook)) ?? undefined;
      } catch (error) {
        outcome = { passed: false, blocking: true, message: `hook threw: ${errorMessage(error)}` };
      }
      if (!outcome) continue;
      deferred.push(...(outcome.deferredItems ?? []));
      const blocking = !outcome.passed && outcome.blocking !== false;
      await this.#append([
        {
          type: 'hook',
          hook: hook.name,
          point,
          taskId,
          passed: outcome.passed,
          blocking,
          message: outcome.message,
        },
      ]);
      if (blocking) {
        failedHook = hook.name;
        failure = outcome.message ?? 'failed';
        blockingFailure = `${hook.name}: ${failure}`;
        break;
      }
    }
    if (deferred.length && !options.keepDeferred) {
      await this.#append([{ type: 'deferred-items', items: deferred, source: `hooks:${point}` }]);
    }
    return { blockingFailure, failedHook, failure, deferred };
  }

  async #loop(): Promise<void> {
    const definition = this.#snapshot.definition;
    for (;;) {
      if (!this.#interrupt && !this.#pauseRequested && !this.#halt) {
        // A task waiting to retry keeps its slot, so a failure is retried before later tasks start.
        while (this.#inflight.size + this.#waitingRetries() < this.#opts.concurrency) {
          const task = nextReadyTask(definition, this.#state, this.#inflight);
          if (!task) break;
          if (this.#iterations >= this.#opts.maxIterations) {
            this.#halt = {
              kind: 'limit',
              limit: 'max-iterations',
              detail: `max iterations reached (${this.#opts.maxIterations} agent runs in this run)`,
            };
            break;
          }
          const { maxCostUsd } = this.#opts;
          if (maxCostUsd !== undefined && this.#state.costUsd >= maxCostUsd) {
            this.#halt = {
              kind: 'limit',
              limit: 'max-cost',
              detail: `cost limit reached ($${this.#state.costUsd.toFixed(4)} spent of $${maxCostUsd})`,
            };
            break;
          }
          const started = await this.#claim(task);
          if (!started) break;
          // A pause, stop or halt may have arrived while we claimed.
          if (this.#interrupt || this.#pauseRequested || this.#halt) break;
        }
      }
      if (this.#inflight.size === 0) {
        if (this.#interrupt || this.#pauseRequested || this.#halt) return;
        if (this.#waitingRetries() === 0 && nextReadyTask(definition, this.#state)) continue;
        const waitMs = this.#nextRetryInMs();
        if (waitMs === undefined) return;
        await this.#sleep(waitMs);
        continue;
      }
      await this.#sleep(this.#nextRetryInMs());
    }
  }

  #waitingRetries(): number {
    const now = Date.now();
    let n = 0;
    for (const at of this.#delayed.values()) if (at > now) n++;
    return n;
  }

  /** Time until the earliest delayed retry may start, if any task waits for one. */
  #nextRetryInMs(): number | undefined {
    let earliest: number | undefined;
    for (const at of this.#delayed.values()) {
      if (earliest === undefined || at < earliest) earliest = at;
    }
    return earliest === undefined ? undefined : Math.max(0, earliest - Date.now());
  }

  /** Waits for a task to end, a control request, or `ms`. */
  #sleep(ms: number | undefined): Promise<void> {
    if (this.#woken) {
      this.#woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      function done() {
        if (timer) clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  async #claim(task: Task): Promise<boolean> {
    const agent = this.#internals.agents.resolve(task.type);
    const started = await this.#appendChain.then(() =>
      this.#store.claimTask(this.#sprintId, {
        taskId: task.id,
        agent: agent.name,
        runId: this.#runId,
        host: this.#internals.host,
      }),
    );
    if (started?.type !== 'task-started') {
      // Someone else changed the sprint (another machine claimed the task): reread it.
      if (++this.#claimFailures > 3) {
        this.#halt ??= {
          kind: 'blocked',
          taskId: task.id,
          reason: `could not claim task ${task.id}: the store refused it ${this.#claimFailures} times`,
        };
        return false;
      }
      await this.#appendChain;
      this.#state = (await this.#store.load(this.#sprintId)).state;
      return false;
    }
    this.#claimFailures = 0;
    applyEventInPlace(this.#state, started);
    this.#delayed.delete(task.id);
    this.#options.onEvent?.(started);
    this.#iterations++;
    const run = this.#runTask(task, started.attempt, agent.name)
      .catch(async (error) => {
        await this.#append([
          {
            type: 'log',
            level: 'error',
            taskId: task.id,
            message: `internal error while running ${task.id}: ${errorMessage(error)}`,
          },
        ]).catch(() => undefined);
        this.#halt ??= { kind: 'blocked', taskId: task.id, reason: errorMessage(error) };
      })
      .finally(() => {
        this.#inflight.delete(task.id);
        this.#notify();
      });
    this.#inflight.set(task.id, run);
    return true;
  }

  #contextFor(task: Task) {
    const answer = this.#state.humanAnswer;
    const forThis = answer && (!answer.taskId || answer.taskId === task.id) ? answer : undefined;
    const last = this.#state.tasks[task.id]?.attempts.at(-2);
    return {
      previousResults: this.#previous.slice(-MAX_PREVIOUS_RESULTS),
      humanAnswer: forThis?.answer,
      humanQuestion: forThis?.question,
      previousError: last?.error?.message,
    };
  }

  async #runTask(task: Task, attempt: number, agentName: string): Promise<void> {
    const agent = this.#internals.agents.resolve(task.type);
    this.#progress(() => ({
      ...this.#progressBase(),
      kind: 'task-started',
      task,
      attempt,
      agent: agentName,
    }));
    const taskAbort = new AbortController();
    let timedOut = false;
    const onRunAbort = () => taskAbort.abort(this.#abort.signal.reason);
    if (this.#abort.signal.aborted) onRunAbort();
    this.#abort.signal.addEventListener('abort', onRunAbort, { once: true });
    const timer = setTimeout(() => {
      timedOut = true;
      taskAbort.abort('timeout');
    }, this.#opts.taskTimeoutMs);
    const startedMs = Date.now();
    let agentPid: number | null = null;
    let result: AgentResult;
    try {
      const before = await this.#runHooks(
        'before-step',
        (h) => h.beforeStep?.({ ...this.#hookCtx(), signal: taskAbort.signal, task, attempt }),
        task.id,
      );
      if (before.blockingFailure) {
        result = failedResult('hook', before.blockingFailure);
      } else {
        const context = await this.#store.readContext(this.#sprintId, task.id).catch(() => ({}));
        const ctx: AgentContext = {
          task,
          sprint: {
            id: this.#sprintId,
            name: this.#snapshot.definition.name,
            goals: this.#snapshot.definition.goals,
            notes: this.#snapshot.definition.notes,
            config: this.#snapshot.definition.config,
          },
          projectDir: this.#snapshot.projectDir,
          sprintDir: this.#snapshot.sprintDir,
          stateFiles: this.#snapshot.files,
          attempt,
          context,
          ...this.#contextFor(task),
          signal: taskAbort.signal,
          emit: (raw) => {
            const activity = this.#internals.redactor.value(raw);
            void this.#append([{ type: 'agent-activity', taskId: task.id, activity }]).catch(
              () => undefined,
            );
            this.#progress(() => ({
              ...this.#progressBase(),
              kind: 'agent-activity',
              task,
              activity,
            }));
          },
          setPid: (pid) => {
            agentPid = pid;
            const pidStart = pid ? processStartTime(pid) : undefined;
            void this.#append([{ type: 'agent-pid', taskId: task.id, pid, pidStart }]).catch(
              () => undefined,
            );
          },
        };
        // Secrets the agent printed go no further than here.
        result = this.#internals.redactor.value(
          await this.#callAgent(agent.run.bind(agent), ctx, taskAbort.signal, () => agentPid),
        );
      }
      if (result.success) {
        result = await this.#afterStep(task, attempt, result, taskAbort.signal);
      }
    } finally {
      clearTimeout(timer);
      this.#abort.signal.removeEventListener('abort', onRunAbort);
    }
    if (!result.durationMs) result = { ...result, durationMs: Date.now() - startedMs };
    if (result.deferredItems.length) {
      await this.#append([
        { type: 'deferred-items', items: result.deferredItems, source: `task:${task.id}` },
      ]);
    }
    await this.#record(task, attempt, agentName, result, timedOut);
  }

  /** Calls the agent; a throw is a crash, and an agent that ignores its abort is let go after a grace period. */
  async #callAgent(
    run: (ctx: AgentContext) => Promise<AgentResult>,
    ctx: AgentContext,
    signal: AbortSignal,
    pidOf: () => number | null,
  ): Promise<AgentResult> {
    let graceTimer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const abandoned = new Promise<AgentResult>((resolve) => {
      onAbort = () => {
        graceTimer = setTimeout(() => {
          // It ignored its signal: end its processes ourselves rather than leave an orphan.
          const pid = pidOf();
          if (pid) void terminateProcessGroup(pid);
          resolve(
            failedResult(
              signal.reason === 'timeout' ? 'timeout' : 'cancelled',
              `the agent did not end within ${this.#internals.abortGraceMs} ms of being told to stop`,
            ),
          );
        }, this.#internals.abortGraceMs);
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const raw = await Promise.race([run(ctx), abandoned]);
      const parsed = AgentResultSchema.safeParse(raw);
      if (!parsed.success) {
        return failedResult(
          'invalid-output',
          `the agent returned an invalid result: ${parsed.error.message}`,
        );
      }
      return parsed.data;
    } catch (error) {
      return failedResult('crash', `the agent threw: ${errorMessage(error)}`);
    } finally {
      if (graceTimer) clearTimeout(graceTimer);
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  async #afterStep(
    task: Task,
    attempt: number,
    result: AgentResult,
    signal: AbortSignal,
  ): Promise<AgentResult> {
    const outcome = await this.#runHooks(
      'after-step',
      (h) => h.afterStep?.({ ...this.#hookCtx(), signal, task, attempt, result }),
      task.id,
      { keepDeferred: true },
    );
    let current = result;
    if (outcome.failedHook) {
      const name = outcome.failedHook;
      const message = `${name} failed: ${outcome.failure}`;
      current = {
        ...current,
        success: false,
        summary: current.summary ? `${current.summary}\n\n${message}` : message,
        error: { kind: name === 'verify' ? 'verify' : 'hook', message },
      };
    }
    if (outcome.deferred.length) {
      current = { ...current, deferredItems: [...current.deferredItems, ...outcome.deferred] };
    }
    return current;
  }

  async #record(
    task: Task,
    attempt: number,
    agentName: string,
    result: AgentResult,
    timedOut: boolean,
  ): Promise<void> {
    const interrupt = this.#interrupt;
    const base = { type: 'task-finished' as const, taskId: task.id, attempt, result };
    let event: NewRunEvent;
    let next: Extract<Progress, { kind: 'task-finished' }>['next'];
    const error: AgentError = result.error ?? {
      kind: 'failed',
      message: result.summary || 'failed',
    };

    if (result.success) {
      event = { ...base, to: 'done', outcome: 'success', counted: true };
      next = 'done';
    } else if (interrupt?.kind === 'cancel') {
      event = {
        ...base,
        to: 'cancelled',
        outcome: 'cancelled',
        counted: false,
        error: { kind: 'cancelled', message: `cancelled: ${interrupt.reason}` },
      };
      next = 'cancelled';
    } else if (interrupt?.kind === 'stop') {
      event = {
        ...base,
        to: 'pending',
        outcome: 'interrupted',
        counted: false,
        error: { kind: 'cancelled', message: 'stopped; the task reruns on resume' },
      };
      next = 'pending';
    } else if (timedOut) {
      const detail = `task ${task.id} ran past the per-task time limit (${Math.round(this.#opts.taskTimeoutMs / 1000)} s)`;
      event = {
        ...base,
        to: 'pending',
        outcome: 'timeout',
        counted: true,
        error: { kind: 'timeout', message: detail },
      };
      this.#halt ??= { kind: 'limit', limit: 'task-timeout', detail };
      next = 'pending';
    } else if (result.needsHuman) {
      event = {
        ...base,
        to: 'blocked',
        outcome: 'needs-human',
        counted: true,
        error: { kind: 'blocked', message: `needs a human: ${result.needsHuman.reason}` },
      };
      this.#halt ??= { kind: 'needs-human', taskId: task.id, ...result.needsHuman };
      next = 'needs-human';
    } else {
      const reaction = failureReaction(error.kind);
      const attempts = this.#state.tasks[task.id]?.attempts ?? [];
      if (reaction === 'retry-later') {
        let waits = 1;
        for (let i = attempts.length - 2; i >= 0 && attempts[i]?.outcome === 'rate-limited'; i--)
          waits++;
        if (waits > RATE_LIMIT_BACKOFF.maxWaits) {
          const reason = `still rate limited after ${waits} waits: ${error.message}`;
          event = {
            ...base,
            to: 'blocked',
            outcome: 'rate-limited',
            counted: false,
            error: { ...error, message: reason },
          };
          this.#halt ??= { kind: 'blocked', taskId: task.id, reason };
          next = 'blocked';
        } else {
          const delay = rateLimitDelay(error, waits);
          event = {
            ...base,
            to: 'pending',
            outcome: 'rate-limited',
            counted: false,
            error,
            notBefore: new Date(Date.now() + delay).toISOString(),
          };
          next = 'retry-later';
        }
      } else {
        const failures = attempts.filter((a) => a.counted && a.outcome !== 'success').length + 1;
        if (reaction === 'retry' && failures < this.#opts.retry.maxAttempts) {
          const delay = retryDelay(this.#opts.retry, failures);
          event = {
            ...base,
            to: 'failed',
            outcome: 'failed',
            counted: true,
            error,
            notBefore: new Date(Date.now() + delay).toISOString(),
          };
          next = 'retry';
        } else {
          const reason =
            reaction === 'block'
              ? `${task.id}: ${error.message}`
              : `${task.id} failed ${failures} time${failures === 1 ? '' : 's'}: ${error.message}`;
          event = { ...base, to: 'blocked', outcome: 'failed', counted: true, error };
          this.#halt ??= { kind: 'blocked', taskId: task.id, reason };
          next = 'blocked';
        }
      }
    }
    await this.#append([event]);
    if ('notBefore' in event && event.notBefore)
      this.#delayed.set(task.id, Date.parse(event.notBefore));
    if (result.success) {
      this.#previous.push({
        taskId: task.id,
        title: taskLabel(task),
        summary: this.#state.tasks[task.id]?.summary ?? '',
      });
    }
    this.#results.push({ ...result, taskId: task.id, attempt, agent: agentName });
    this.#progress(() => ({
      ...this.#progressBase(),
      kind: 'task-finished',
      task,
      attempt,
      result,
      next,
    }));
  }

  /** A task still waiting for a person's answer, with its question. */
  #openQuestion(): [string, HumanNeeded] | undefined {
    for (const [taskId, t] of Object.entries(this.#state.tasks)) {
      if (t.status === 'blocked' && t.question) return [taskId, t.question];
    }
    return undefined;
  }

  /** Decides the sprint's status at the end of the run and writes it with the result. */
  async #finish(): Promise<RunResult> {
    const from = this.#state.status;
    let to: SprintStatus;
    let stopReason: StopReason;
    let reason: string | undefined;
    let humanNeeded: RunResult['humanNeeded'];
    const interrupt = this.#interrupt;
    const halt = this.#halt;
    if (this.#failure) {
      to = 'blocked';
      reason = this.#failure;
      stopReason = { kind: 'blocked', reason };
    } else if (interrupt?.kind === 'cancel') {
      to = 'cancelled';
      reason = interrupt.reason;
      stopReason = { kind: 'cancelled', reason: interrupt.reason };
    } else if (interrupt?.kind === 'stop') {
      to = 'paused';
      stopReason = { kind: 'stopped' };
      reason = 'stopped';
    } else if (halt?.kind === 'needs-human') {
      to = 'needs-human';
      humanNeeded = {
        taskId: halt.taskId,
        reason: halt.reason,
        details: halt.details,
        options: halt.options,
      };
      stopReason = { kind: 'needs-human', taskId: halt.taskId };
      reason = halt.reason;
    } else if (halt?.kind === 'blocked') {
      to = 'blocked';
      reason = halt.reason;
      stopReason = { kind: 'blocked', taskId: halt.taskId, reason: halt.reason };
    } else if (halt?.kind === 'limit') {
      to = 'paused';
      reason = halt.detail;
      stopReason = { kind: 'limit', limit: halt.limit, detail: halt.detail };
      await this.#append([{ type: 'limit-reached', limit: halt.limit, detail: halt.detail }]);
    } else if (this.#pauseRequested) {
      to = 'paused';
      stopReason = { kind: 'paused' };
      reason = 'paused';
    } else {
      const counts = countTasks(this.#state);
      if (counts.done + counts.skipped === counts.total) {
        const before = await this.#runHooks('before-completion', (h) =>
          h.beforeCompletion?.(this.#hookCtx()),
        );
        if (before.blockingFailure) {
          to = 'blocked';
          reason = before.blockingFailure;
          stopReason = { kind: 'blocked', reason };
        } else {
          to = 'completed';
          stopReason = { kind: 'completed' };
        }
      } else if (this.#openQuestion()) {
        const [taskId, question] = this.#openQuestion()!;
        to = 'needs-human';
        humanNeeded = { taskId, ...question };
        stopReason = { kind: 'needs-human', taskId };
        reason = question.reason;
      } else {
        const waiting = Object.entries(this.#state.tasks)
          .filter(([, t]) => t.status === 'pending' || t.status === 'failed')
          .map(([id]) => id);
        reason = `no task can run: ${waiting.join(', ')} wait${waiting.length === 1 ? 's' : ''} on tasks that are not done`;
        to = 'blocked';
        stopReason = { kind: 'blocked', reason };
      }
    }
    await this.#append([
      {
        type: 'sprint-status',
        from,
        to,
        reason,
        stopReason,
        humanNeeded: to === 'needs-human' ? humanNeeded : undefined,
      },
    ]);
    this.#statusProgress(from, to);
    if (to === 'completed') {
      await this.#runHooks('after-completion', (h) => h.afterCompletion?.(this.#hookCtx()));
    }
    const counts = countTasks(this.#state);
    const endedAt = new Date().toISOString();
    const result: RunResult = this.#internals.redactor.value({
      sprintId: this.#sprintId,
      runId: this.#runId,
      success: to === 'completed',
      status: to,
      stopReason,
      stepsCompleted: counts.done,
      stepsTotal: counts.total,
      agentResults: this.#results,
      deferredItems: [...this.#state.deferredItems],
      durationSeconds: (Date.now() - this.#startedAtMs) / 1000,
      iterations: this.#iterations,
      costUsd: this.#state.costUsd,
      tokens: { ...this.#state.tokens },
      humanNeeded,
      startedAt: this.#startedAt,
      endedAt,
    });
    await this.#append([
      {
        type: 'run-ended',
        runId: this.#runId,
        status: to,
        stopReason,
        iterations: this.#iterations,
        costUsd: this.#state.costUsd,
      },
    ]);
    await this.#store.saveResult(this.#sprintId, result);
    return result;
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
