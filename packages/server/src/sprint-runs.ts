import type { ControlOutcome, RunEvent, RunOptions, RunResult, SprintRunner } from '@sprint/core';
import { ApiError } from './problem.js';

/** A run this server started and that has not ended yet. */
export interface ActiveRun {
  sprintId: string;
  runId: string;
  kind: 'run' | 'resume';
  agent: string | undefined;
  startedAt: string;
}

export interface SprintRunsOptions {
  /** A runner for one run of a sprint, whose agents are the server's (`agent`: a configured name to use for every task). */
  createRunner(sprintId: string, agent: string | undefined): Promise<SprintRunner>;
  /** A runner for pause, stop and cancel of sprints this server does not drive (it runs no agent). */
  controlRunner: SprintRunner;
  /** Every event of the runs this server drives (to refresh caches). */
  onEvent?(event: RunEvent): void;
  /** A run ended (after its last event), whatever the outcome. */
  onRunEnd?(sprintId: string): void;
  /** A run that failed after it was accepted (the message is redacted by the caller). */
  onRunError?(sprintId: string, error: unknown): void;
}

interface Entry {
  info: ActiveRun | undefined;
  runner: SprintRunner | undefined;
  controller: AbortController;
  done: Promise<RunResult | undefined>;
}

/**
 * The runs this server drives, at most one per sprint (the store's lock makes
 * that hold across processes too), and their graceful end.
 */
export class SprintRuns {
  readonly #options: SprintRunsOptions;
  readonly #entries = new Map<string, Entry>();
  #closing = false;

  constructor(options: SprintRunsOptions) {
    this.#options = options;
  }

  get closing(): boolean {
    return this.#closing;
  }

  /** The run of a sprint this server drives, if any. */
  active(sprintId: string): ActiveRun | undefined {
    return this.#entries.get(sprintId)?.info;
  }

  list(): ActiveRun[] {
    return [...this.#entries.values()].flatMap((e) => (e.info ? [e.info] : []));
  }

  /**
   * Starts `run` or `resume` in the background and resolves once the run
   * holds the sprint's lock (its `run-started` event), with its id. Rejects
   * with the runner's error when it refuses to start: `SprintLockedError`
   * (another run, here or in another process), `SprintFinishedError`,
   * `InvalidSprintError`, `UnknownAgentError`, `InvalidOptionsError`.
   */
  async start(
    sprintId: string,
    kind: 'run' | 'resume',
    agent: string | undefined,
    options: Omit<RunOptions, 'signal' | 'onEvent' | 'onProgress'>,
  ): Promise<ActiveRun> {
    if (this.#closing) {
      throw new ApiError(
        503,
        'SHUTTING_DOWN',
        'The server is shutting down; start the run elsewhere or later.',
      );
    }
    const current = this.#entries.get(sprintId);
    if (current) {
      throw new ApiError(
        409,
        'SPRINT_LOCKED',
        `Sprint ${sprintId} is already running on this server${current.info ? ` (run ${current.info.runId}, since ${current.info.startedAt})` : ''}. Pause or stop it first, or wait for it to end.`,
      );
    }
    const controller = new AbortController();
    let resolveStarted!: (info: ActiveRun) => void;
    const started = new Promise<ActiveRun>((resolve) => {
      resolveStarted = resolve;
    });
    const entry: Entry = {
      info: undefined,
      runner: undefined,
      controller,
      done: Promise.resolve(undefined),
    };
    // Claimed before any await, so two requests at once cannot both start.
    this.#entries.set(sprintId, entry);
    let runner: SprintRunner;
    try {
      runner = await this.#options.createRunner(sprintId, agent);
    } catch (error) {
      this.#entries.delete(sprintId);
      throw error;
    }
    entry.runner = runner;
    const onEvent = (event: RunEvent) => {
      if (event.type === 'run-started' && !entry.info) {
        entry.info = {
          sprintId,
          runId: event.runId,
          kind,
          agent,
          startedAt: event.at,
        };
        resolveStarted(entry.info);
      }
      this.#options.onEvent?.(event);
    };
    const runOptions: RunOptions = { ...options, signal: controller.signal, onEvent };
    const run =
      kind === 'run' ? runner.run(sprintId, runOptions) : runner.resume(sprintId, runOptions);
    entry.done = run.then(
      (result) => result,
      (error: unknown) => {
        if (entry.info) this.#options.onRunError?.(sprintId, error);
        return undefined;
      },
    );
    void entry.done.finally(() => {
      if (this.#entries.get(sprintId) === entry) this.#entries.delete(sprintId);
      this.#options.onRunEnd?.(sprintId);
    });
    // Whichever comes first: the run holds the lock, or it refused to start.
    const first = await Promise.race([
      started.then((info) => ({ info })),
      run.then(
        () => ({ info: entry.info }),
        (error: unknown) => ({ error }),
      ),
    ]);
    if ('error' in first) throw first.error;
    if (!first.info) {
      // Ended without a run-started event (nothing to do): report it as a run all the same.
      return { sprintId, runId: 'none', kind, agent, startedAt: new Date().toISOString() };
    }
    return first.info;
  }

  /** The runner to ask for pause, stop or cancel: the one driving the sprint here, else a plain one. */
  #runnerFor(sprintId: string): SprintRunner {
    return this.#entries.get(sprintId)?.runner ?? this.#options.controlRunner;
  }

  /** `requestedBy`: who asks (`api (<client address>)`), said in the sprint's status. */
  pause(sprintId: string, requestedBy?: string): Promise<ControlOutcome> {
    return this.#runnerFor(sprintId).pause(sprintId, { requestedBy });
  }

  stop(sprintId: string, requestedBy?: string): Promise<ControlOutcome> {
    return this.#runnerFor(sprintId).stop(sprintId, { requestedBy });
  }

  cancel(sprintId: string, reason: string, requestedBy?: string): Promise<ControlOutcome> {
    return this.#runnerFor(sprintId).cancel(sprintId, reason, { requestedBy });
  }

  /**
   * Refuses new runs, stops every run (`runner.stop`: the agents are ended,
   * their tasks go back to pending, every sprint stays resumable) and waits for
   * them to end; after `graceMs` their signals are aborted as a last resort.
   */
  async shutdown(graceMs = 15_000): Promise<void> {
    this.#closing = true;
    const entries = [...this.#entries.entries()];
    await Promise.all(
      entries.map(async ([sprintId, entry]) => {
        await (entry.runner ?? this.#options.controlRunner).stop(sprintId).catch(() => undefined);
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((resolve) => {
          timer = setTimeout(() => resolve('late'), graceMs);
        });
        try {
          if ((await Promise.race([entry.done, late])) === 'late') {
            entry.controller.abort(new Error('the server is shutting down'));
            await entry.done;
          }
        } finally {
          clearTimeout(timer);
        }
      }),
    );
  }
}
