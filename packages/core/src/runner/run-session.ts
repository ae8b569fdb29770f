import type { PreviousResult } from '../agents/agent.js';
import type { HookContext, HookPoint, SprintHook } from '../hooks/hook.js';
import { formatDuration } from '../model/duration.js';
import type { AgentActivity, NewRunEvent, RunEvent } from '../model/events.js';
import { estimatedCostUsd, fallbackPricing } from '../model/fold.js';
import { plural } from '../model/plural.js';
import { type Task, taskLabel } from '../model/sprint.js';
import type { SprintState } from '../model/state.js';
import type { SprintStatus } from '../model/status.js';
import { runMarker } from '../process/process-tree.js';
import type { ControlRequest, SprintSnapshot } from '../stores/sprint-store.js';
import { pollControl } from './control-poller.js';
import { endOrphanedAttempts, recoveryEvents } from './crash-recovery.js';
import { errorMessage } from './error-message.js';
import { EventChain } from './event-chain.js';
import { type Halt, type Interrupt, type PauseRequest, strongerInterrupt } from './halt.js';
import { type HooksOutcome, runHooks } from './hook-runner.js';
import type { ResolvedOptions } from './resolve-options.js';
import { RetryWaits } from './retry-waits.js';
import { completionEnd, type RunEnd, runEnd } from './run-end.js';
import type { Progress, RunOptions } from './run-options.js';
import type { RunResult, TaskRunResult } from './run-result.js';
import { runnerFiles } from './runner-files.js';
import type { RunnerParts } from './runner-parts.js';
import { slotsTaken } from './slots.js';
import { removeStaleTempFiles } from './stale-temp-files.js';
import { runAttempt } from './task-attempt.js';
import { taskOutcome } from './task-outcome.js';
import { TaskPicker } from './task-picker.js';
import type { TaskWorkspace } from './task-workspace.js';

/** Agents get the summaries of this many most recently finished tasks. */
const MAX_PREVIOUS_RESULTS = 50;

/**
 * One call of run/resume: starts the sprint (recovering from a crash),
 * schedules and claims tasks up to the concurrency, records each attempt's
 * outcome, and ends the run with the status `runEnd` decides. The decisions
 * are pure functions (`taskOutcome`, `runEnd`); this class holds the state
 * and the effects around them.
 */
export class RunSession {
  /** Isolation of each attempt (a worktree per task), when the run uses it. */
  #workspace: TaskWorkspace | undefined;
  readonly #parts: RunnerParts;
  readonly #sprintId: string;
  readonly #runId: string;
  readonly #opts: ResolvedOptions;
  readonly #options: RunOptions;
  readonly #startedAtMs: number;

  #snapshot!: SprintSnapshot;
  #events!: EventChain;
  readonly #results: TaskRunResult[] = [];
  readonly #inflight = new Map<string, Promise<void>>();
  /**
   * Running tasks whose agent and verify are done and whose work is being
   * committed or waits for the merge queue: they hold no slot (the next task starts meanwhile), but
   * stay running, so nothing that depends on them starts before they are integrated.
   */
  readonly #integrating = new Set<string>();
  readonly #abort = new AbortController();
  #iterations = 0;
  /** Tasks this run started (a retry of one is the same task), for `max-tasks`. */
  readonly #startedTasks = new Set<string>();
  /** A pause asked for (the first one is the one reported). */
  #pause: PauseRequest | undefined;
  #interrupt: Interrupt | undefined;
  #halt: Halt | undefined;
  #wake: (() => void) | undefined;
  #woken = false;
  readonly #waits = new RetryWaits();
  #picker!: TaskPicker;
  /** A question a task asked while others may still run (concurrency > 1): asked when they end. */
  #asked: Halt | undefined;
  /** Done tasks' summaries in completion order, for the next agents. */
  #previous: PreviousResult[] = [];
  #claimFailures = 0;
  /** Set when the loop itself failed: the run ends blocked with this reason. */
  #failure: string | undefined;

  constructor(
    parts: RunnerParts,
    sprintId: string,
    runId: string,
    opts: ResolvedOptions,
    options: RunOptions,
    startedAtMs: number,
  ) {
    this.#parts = parts;
    this.#sprintId = sprintId;
    this.#runId = runId;
    this.#opts = opts;
    this.#options = options;
    this.#startedAtMs = startedAtMs;
  }

  get #state(): SprintState {
    return this.#events.state;
  }

  #append(events: NewRunEvent[]): Promise<RunEvent[]> {
    return this.#events.append(events);
  }

  #progressBase() {
    return {
      sprintId: this.#sprintId,
      counts: this.#events.counts,
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

  #statusProgress(from: SprintStatus, to: SprintStatus): void {
    this.#progress(() => ({ ...this.#progressBase(), kind: 'sprint-status', from, to }));
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
    if (request.action === 'pause') this.#pause ??= { requestedBy: request.requestedBy };
    else
      this.#interruptRun(
        request.action === 'cancel'
          ? { kind: 'cancel', reason: request.reason ?? 'cancelled' }
          : { kind: 'stop', requestedBy: request.requestedBy },
      );
    this.#notify();
  }

  #interruptRun(interrupt: Interrupt): void {
    this.#interrupt = strongerInterrupt(this.#interrupt, interrupt);
    if (!this.#abort.signal.aborted) this.#abort.abort(interrupt.kind);
    this.#notify();
  }

  async execute(): Promise<RunResult> {
    const { active, controlPollMs, store } = this.#parts;
    active.set(this.#sprintId, { deliver: (r) => this.#onControl(r) });
    // A request written between our lock and now is for this run; older ones #onControl drops.
    const early = await store.takeControl(this.#sprintId);
    this.#snapshot = await store.load(this.#sprintId);
    this.#events = new EventChain(
      store,
      this.#sprintId,
      this.#parts.redactor,
      this.#snapshot.state,
      this.#options.onEvent,
    );
    this.#previous = previousResults(this.#snapshot);
    // A runner killed mid-write leaves temporary copies: never let git or anyone pick them up.
    await removeStaleTempFiles(runnerFiles(this.#snapshot.files, this.#snapshot.runtimeDir));
    // Isolation decides (and recovers what a crash left) before anything is recorded.
    this.#workspace = await this.#parts.workspaces?.open({
      sprintId: this.#sprintId,
      definition: this.#snapshot.definition,
      state: this.#state,
      projectDir: this.#snapshot.projectDir,
      sprintDir: this.#snapshot.sprintDir,
      runtimeDir: this.#snapshot.runtimeDir,
      stateFiles: this.#snapshot.files,
      concurrency: this.#opts.concurrency,
      isolation: this.#options.isolation,
      emit: (events) => void this.#append(events).catch(() => undefined),
      signal: this.#abort.signal,
    });
    for (const [taskId, t] of Object.entries(this.#state.tasks)) {
      if ((t.status === 'pending' || t.status === 'failed') && t.notBefore) {
        this.#waits.set(taskId, Date.parse(t.notBefore));
      }
    }

    const onSignal = () => this.#interruptRun({ kind: 'stop' });
    if (this.#options.signal?.aborted) onSignal();
    this.#options.signal?.addEventListener('abort', onSignal, { once: true });
    const stopPolling = pollControl(store, this.#sprintId, controlPollMs, (r) =>
      this.#onControl(r),
    );
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
      return await this.#finish();
    } finally {
      stopPolling();
      this.#options.signal?.removeEventListener('abort', onSignal);
      await this.#events.settled();
      await store.flush(this.#sprintId).catch(() => undefined);
    }
  }

  /** Recovers from a crash, records the answer, moves the sprint to in-progress, runs before-sprint hooks. */
  async #start(): Promise<void> {
    const { host } = this.#parts;
    const events: NewRunEvent[] = [
      {
        type: 'run-started',
        runId: this.#runId,
        pid: process.pid,
        host,
        resumed: this.#state.status !== 'not-started',
      },
    ];
    // The runner that owned these attempts died (kill -9, power loss): end what it left.
    events.push(...recoveryEvents(await endOrphanedAttempts(this.#state, host), 'run'));
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

  #runHooks(
    point: HookPoint,
    call: (hook: SprintHook) => ReturnType<NonNullable<SprintHook['beforeSprint']>> | undefined,
    options: { taskId?: string; keepDeferred?: boolean } = {},
  ): Promise<HooksOutcome> {
    return runHooks(this.#parts.hooks, point, call, (e) => this.#append(e), options);
  }

  async #loop(): Promise<void> {
    this.#picker = new TaskPicker(this.#snapshot.definition, this.#state);
    for (;;) {
      if (!this.#stopping()) {
        // A task waiting to retry keeps its slot, so a failure is retried before later tasks start.
        while (this.#slotsTaken() < this.#opts.concurrency) {
          const task = this.#picker.next(this.#state, this.#inflight);
          if (!task) break;
          this.#halt ??= this.#limitBefore(task);
          if (this.#halt) break;
          const started = await this.#claim(task);
          if (!started) break;
          // A pause, stop or halt may have arrived while we claimed.
          if (this.#stopping()) break;
        }
      }
      if (this.#inflight.size === 0) {
        if (this.#stopping()) return;
        if (this.#waits.waiting() === 0 && this.#picker.next(this.#state)) continue;
        const waitMs = this.#waits.nextInMs();
        if (waitMs === undefined) return;
        await this.#sleep(waitMs);
        continue;
      }
      await this.#sleep(this.#waits.nextInMs());
    }
  }

  #slotsTaken(): number {
    return slotsTaken({
      inflight: this.#inflight.size,
      integrating: this.#integrating.size,
      waitingToRetry: this.#waits.waiting(),
      concurrency: this.#opts.concurrency,
    });
  }

  #stopping(): boolean {
    return Boolean(this.#interrupt || this.#pause || this.#halt);
  }

  /** The limit that forbids starting another task, if one does. */
  #limitBefore(task: Task): Halt | undefined {
    const { maxTasks, timeBoxMs } = this.#opts;
    if (timeBoxMs !== undefined && Date.now() - this.#startedAtMs >= timeBoxMs) {
      return {
        kind: 'limit',
        limit: 'time-box',
        detail: `time box reached (${formatDuration(timeBoxMs)} since this run started)`,
      };
    }
    if (
      maxTasks !== undefined &&
      !this.#startedTasks.has(task.id) &&
      this.#startedTasks.size >= maxTasks
    ) {
      return {
        kind: 'limit',
        limit: 'max-tasks',
        detail: `max tasks reached (${plural(maxTasks, 'task')} started in this run)`,
      };
    }
    if (this.#iterations >= this.#opts.maxIterations) {
      return {
        kind: 'limit',
        limit: 'max-iterations',
        detail: `max iterations reached (${this.#opts.maxIterations} agent runs in this run)`,
      };
    }
    const { maxCostUsd } = this.#opts;
    if (maxCostUsd !== undefined && this.#state.costUsd >= maxCostUsd) {
      return {
        kind: 'limit',
        limit: 'max-cost',
        detail: `cost limit reached ($${this.#state.costUsd.toFixed(4)} spent of $${maxCostUsd})`,
      };
    }
    return undefined;
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
    const { store, agents, host } = this.#parts;
    const agent = agents.resolve(task);
    const started = await this.#events.after(() =>
      store.claimTask(this.#sprintId, {
        taskId: task.id,
        agent: agent.name,
        runId: this.#runId,
        host,
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
      await this.#events.settled();
      this.#events.state = (await store.load(this.#sprintId)).state;
      this.#picker.reset();
      return false;
    }
    this.#claimFailures = 0;
    this.#events.adopt(started);
    this.#waits.delete(task.id);
    this.#iterations++;
    this.#startedTasks.add(task.id);
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
        this.#integrating.delete(task.id);
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
    const { agents, redactor, abortGraceMs, stopGraceMs, store } = this.#parts;
    this.#progress(() => ({
      ...this.#progressBase(),
      kind: 'task-started',
      task,
      attempt,
      agent: agentName,
    }));
    const snapshot = this.#snapshot;
    const { result, timedOut } = await runAttempt(task, attempt, {
      agent: agents.resolve(task),
      redactor,
      abortGraceMs,
      stopGraceMs,
      taskTimeoutMs: this.#opts.taskTimeoutMs,
      runMarker: runMarker(this.#runId, task.id, attempt),
      runSignal: this.#abort.signal,
      hookContext: () => this.#hookCtx(),
      workspace: this.#workspace,
      release: () => {
        // A planned break holds its slot until it is integrated: nothing starts before the pause.
        if (task.fields['pause-after'] === true) return;
        this.#integrating.add(task.id);
        this.#notify();
      },
      runHooks: (point, call, options) =>
        this.#runHooks(point, call, { ...options, taskId: task.id }),
      agentContext: async () => ({
        task,
        sprint: {
          id: this.#sprintId,
          name: snapshot.definition.name,
          goals: snapshot.definition.goals,
          notes: snapshot.definition.notes,
          config: snapshot.definition.config,
        },
        projectDir: snapshot.projectDir,
        sprintDir: snapshot.sprintDir,
        stateFiles: snapshot.files,
        attempt,
        context: await store.readContext(this.#sprintId, task.id).catch(() => ({})),
        ...this.#contextFor(task),
      }),
      append: (events) => this.#append(events),
      onActivity: (activity: AgentActivity) => {
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
    });
    if (result.deferredItems.length) {
      await this.#append([
        { type: 'deferred-items', items: result.deferredItems, source: `task:${task.id}` },
      ]);
    }
    const decided = taskOutcome({
      taskId: task.id,
      attempt,
      result,
      interrupt: this.#interrupt,
      timedOut,
      taskTimeoutMs: this.#opts.taskTimeoutMs,
      attempts: this.#state.tasks[task.id]?.attempts ?? [],
      retry: this.#opts.retry,
      now: Date.now(),
    });
    if (decided.halt?.kind === 'needs-human' && this.#opts.concurrency > 1) {
      // Work that does not depend on the question goes on; the run asks when it ends.
      this.#asked ??= decided.halt;
    } else if (decided.halt) {
      this.#halt ??= decided.halt;
    }
    // A planned break is recorded with the task's end, in one append, and takes effect
    // before that append lets the next task be picked (its dependents included).
    const pauseAfter =
      task.fields['pause-after'] === true && decided.next === 'done' && !this.#pause;
    if (pauseAfter) this.#pause = { taskId: task.id };
    await this.#append(pauseAfter ? [decided.event, pauseAfterEvent(task)] : [decided.event]);
    await this.#workspace?.settle({ task, attempt, next: decided.next });
    if (pauseAfter) this.#notify();
    if (decided.event.notBefore) this.#waits.set(task.id, Date.parse(decided.event.notBefore));
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
      next: decided.next,
    }));
  }

  /** This run's attempts whose commit failed, or undefined when every commit landed. */
  #commitFailures(): RunResult['commitFailures'] {
    const failures = this.#results.flatMap(({ taskId, attempt }) => {
      const message = this.#state.tasks[taskId]?.attempts.find((a) => a.n === attempt)?.commitError;
      return message ? [{ taskId, attempt, message }] : [];
    });
    return failures.length ? failures : undefined;
  }

  /** Decides the sprint's status at the end of the run and writes it with the result. */
  async #finish(): Promise<RunResult> {
    const from = this.#state.status;
    const decided = runEnd({
      failure: this.#failure,
      interrupt: this.#interrupt,
      halt: this.#asked ?? this.#halt,
      pause: this.#pause,
      state: this.#state,
    });
    let end: RunEnd;
    if (decided === 'check-completion') {
      const before = await this.#runHooks('before-completion', (h) =>
        h.beforeCompletion?.(this.#hookCtx()),
      );
      end = completionEnd(before.blockingFailure);
    } else {
      end = decided;
    }
    const { to, stopReason, reason } = end;
    if (end.limit) await this.#append([{ type: 'limit-reached', ...end.limit }]);
    await this.#append([
      {
        type: 'sprint-status',
        from,
        to,
        reason,
        stopReason,
        humanNeeded: to === 'needs-human' ? end.humanNeeded : undefined,
      },
    ]);
    this.#statusProgress(from, to);
    if (to === 'completed') {
      await this.#runHooks('after-completion', (h) => h.afterCompletion?.(this.#hookCtx()));
    }
    // Before the run ends in the log: what isolation removes at the end is recorded in it.
    await this.#workspace?.close({ status: to });
    const counts = this.#events.counts;
    const estimate = estimateParts(this.#state);
    const result: RunResult = this.#parts.redactor.value({
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
      ...estimate,
      tokens: { ...this.#state.tokens },
      humanNeeded: end.humanNeeded,
      commitFailures: this.#commitFailures(),
      startedAt: new Date(this.#startedAtMs).toISOString(),
      endedAt: new Date().toISOString(),
    });
    await this.#append([
      {
        type: 'run-ended',
        runId: this.#runId,
        status: to,
        stopReason,
        iterations: this.#iterations,
        costUsd: this.#state.costUsd,
        ...estimate,
      },
    ]);
    await this.#parts.store.saveResult(this.#sprintId, result);
    return result;
  }
}

/** Done tasks' summaries in completion order. */
function previousResults(snapshot: SprintSnapshot): PreviousResult[] {
  const byId = new Map(snapshot.definition.tasks.map((t) => [t.id, t]));
  return Object.entries(snapshot.state.tasks)
    .filter(([, t]) => t.status === 'done' && t.summary)
    .sort(([, a], [, b]) => (a.completedAt ?? '').localeCompare(b.completedAt ?? ''))
    .map(([taskId, t]) => {
      const def = byId.get(taskId);
      return { taskId, title: def ? taskLabel(def) : taskId, summary: t.summary ?? '' };
    });
}

/**
 * A planned break (`pause-after: true`, m42's `break:`): once the task is done, the run
 * pauses as `sprint pause` would (running tasks finish, none starts), recorded as a
 * control event, so a person reviews before a resume goes on.
 */
function pauseAfterEvent(task: Task): NewRunEvent {
  return {
    type: 'control',
    action: 'pause',
    reason: `task ${task.id} is done and has pause-after: review its work, then resume`,
    requestedBy: `task ${task.id} (pause-after)`,
  };
}

/** The estimated part of the spend and its fallback-priced part, each only when there is one. */
function estimateParts(state: SprintState) {
  const estimated = estimatedCostUsd(state);
  const fallback = fallbackPricing(state);
  return {
    ...(estimated > 0 ? { estimatedCostUsd: estimated } : {}),
    ...(fallback ? { fallbackPricing: fallback } : {}),
  };
}
