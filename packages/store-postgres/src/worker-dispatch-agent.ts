import { randomUUID } from 'node:crypto';
import { type Agent, type AgentContext, type AgentResult, failedResult } from '@sprint/core';
import type { PgBoss } from 'pg-boss';
import { isConnectionLoss } from './pg-database.js';
import type { PostgresStore } from './postgres-store.js';
import {
  ensureQueue,
  queueFor,
  sendTaskJob,
  type TaskJob,
  type TaskJobOutput,
  type TaskQueueOptions,
  wakeAny,
} from './task-queue.js';

export interface DispatchOptions extends TaskQueueOptions {
  /** How often a wait looks for its result besides being woken (ms, default 1,000). */
  pollMs?: number;
  /** How long a stopped task's worker has to end it before it is cancelled (ms, default 10,000). */
  abortGraceMs?: number;
  /**
   * How long the worker a job was named for has to take it before every
   * worker is woken for it (ms, default 250): it died or filled up meanwhile.
   */
  namedWaitMs?: number;
}

/**
 * An `Agent` for the runner that runs nothing itself: it sends the attempt to
 * the workers serving `name` (a pg-boss job) and waits for their result. The
 * runner around it keeps deciding everything (claims, limits, retries,
 * needs-human, the final status) once, under its lease. A worker that dies
 * mid-task stops sending heartbeats; pg-boss fails its job and this agent
 * reports a crash, which the runner retries and counts. A worker that drains
 * (SIGTERM) gives the job back, and it is sent again for another worker.
 */
export class WorkerDispatchAgent implements Agent {
  readonly name: string;
  readonly #boss: PgBoss;
  readonly #store: PostgresStore;
  readonly #options: DispatchOptions;
  /**
   * Workers that returned a result and have not been named for a job since,
   * once per result: each had a slot free a moment ago. The newest first.
   */
  readonly #freed: string[] = [];
  /** Job id -> wakes its wait when a worker announces the job's result. */
  readonly #wakers = new Map<string, () => void>();
  #listening: Promise<unknown> | undefined;

  constructor(name: string, boss: PgBoss, store: PostgresStore, options: DispatchOptions = {}) {
    this.name = name;
    this.#boss = boss;
    this.#store = store;
    this.#options = options;
  }

  /**
   * Hears the workers' "result recorded" notifications (for the life of the
   * connection). An empty payload (the listener reconnected) wakes every wait.
   * Without it, each wait still polls.
   */
  #listen(): Promise<unknown> {
    this.#listening ??= this.#store.db
      .listen(this.#store.resultsChannel, (jobId) => {
        if (jobId) this.#wakers.get(jobId)?.();
        else for (const wake of this.#wakers.values()) wake();
      })
      .catch(() => {
        this.#listening = undefined;
      });
    return this.#listening;
  }

  async run(ctx: AgentContext): Promise<AgentResult> {
    const queue = queueFor(this.name);
    await this.#listen();
    await retryOnLoss(() => ensureQueue(this.#boss, this.name, this.#options));
    const { signal, emit: _e, setPid: _p, ...context } = ctx;
    const data: TaskJob = {
      sprintId: ctx.sprint.id,
      taskId: ctx.task.id,
      attempt: ctx.attempt,
      agent: this.name,
      context,
    };
    for (;;) {
      // The id is ours, so a send retried after a lost connection never makes a second job.
      const jobId = randomUUID();
      // Heard from before the job exists: a result announced at once is not missed.
      const wakes = this.#wakesFor(jobId);
      try {
        // The job wakes one worker: the one that freed a slot last, else one slot of every worker.
        const worker = this.#freed.pop();
        const sent = await retryOnLoss(() =>
          sendTaskJob(this.#boss, this.#store, queue, data, jobId, worker),
        );
        const id =
          sent ?? ((await retryOnLoss(() => this.#boss.getJobById(queue, jobId))) ? jobId : null);
        if (!id) return failedResult('crash', 'the task queue refused the job');
        const outcome = await this.#wait(queue, id, signal, wakes, worker !== undefined);
        if (outcome.kind === 'returned') {
          // Drained by its worker: said in the run's log, and sent again.
          ctx.emit({
            kind: 'text',
            text: `worker ${outcome.worker ?? '?'} gave the task back: ${outcome.reason ?? 'draining'}; it goes back to the queue`,
          });
          continue;
        }
        if (outcome.worker) this.#freed.push(outcome.worker);
        return outcome.result;
      } finally {
        this.#wakers.delete(jobId);
      }
    }
  }

  /** Registers the wake-up of job `id`'s wait. */
  #wakesFor(id: string): Wakes {
    const wakes: Wakes = { woken: false, wake: undefined };
    this.#wakers.set(id, () => {
      wakes.woken = true;
      wakes.wake?.();
    });
    return wakes;
  }

  /**
   * Waits for job `id`'s result: woken by the worker's notification, and
   * every `pollMs` looks anyway (and asks pg-boss whether the job failed: a
   * worker that died stops its heartbeats).
   */
  async #wait(
    queue: string,
    id: string,
    signal: AbortSignal,
    wakes: Wakes,
    named: boolean,
  ): Promise<
    | { kind: 'returned'; worker?: string; reason?: string }
    | { kind: 'result'; result: AgentResult; worker?: string }
  > {
    // A fallback: the worker's notification normally ends the wait first.
    const pollMs = this.#options.pollMs ?? 1_000;
    // A job named for one worker is looked at sooner: if it is still waiting, every worker is woken.
    let namedWait = named ? Math.min(this.#options.namedWaitMs ?? 250, pollMs) : undefined;
    let abortedAt: number | undefined;
    const onAbort = () => {
      abortedAt = Date.now();
      void this.#store.db
        .query('SELECT pg_notify($1, $2)', [this.#store.abortChannel, id])
        .catch(() => undefined);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    try {
      // Nothing to look at before the first wake-up or poll: the job was just sent.
      for (let look = false; ; look = true) {
        if (look) {
          // Cleared before the look, so a result announced during it is looked for again.
          wakes.woken = false;
          // Read, not taken: a read repeated after a lost connection finds it again.
          // The worker that records a result clears those recorded long ago.
          const [recorded] = await this.#store.db.query<{ output: TaskJobOutput | string }>(
            `SELECT output FROM ${this.#store.table('job_results')} WHERE job_id = $1`,
            [id],
          );
          if (recorded) {
            const out: TaskJobOutput =
              typeof recorded.output === 'string' ? JSON.parse(recorded.output) : recorded.output;
            if (out.kind === 'returned') return out;
            return { kind: 'result', result: out.result, worker: out.worker };
          }
          const [job] = await retryOnLoss(() => this.#boss.findJobs(queue, { id }));
          const output = job?.output as TaskJobOutput | { message?: string } | undefined;
          if (job && job.state === 'completed' && output && 'kind' in output) {
            if (output.kind === 'returned') return output;
            return { kind: 'result', result: output.result, worker: output.worker };
          }
          if (namedWait !== undefined && job?.state === 'created') {
            // Its worker died or filled up before fetching it: whoever is free takes it.
            await wakeAny(this.#store, queue).catch(() => undefined);
          }
          namedWait = undefined;
          if (!job || job.state === 'failed' || job.state === 'cancelled') {
            const message =
              output && 'message' in output && output.message
                ? output.message
                : 'its worker stopped sending heartbeats';
            return {
              kind: 'result',
              result: failedResult(
                abortedAt ? 'cancelled' : 'crash',
                abortedAt
                  ? 'cancelled while on a worker'
                  : `the worker running it was lost: ${message}`,
              ),
            };
          }
          if (abortedAt && Date.now() - abortedAt > (this.#options.abortGraceMs ?? 10_000)) {
            await this.#boss.cancel(queue, id).catch(() => undefined);
            return {
              kind: 'result',
              result: failedResult('cancelled', 'cancelled; its worker did not answer in time'),
            };
          }
        }
        if (wakes.woken) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, namedWait ?? pollMs);
          wakes.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wakes.wake = undefined;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }
}

/** A wait's wake-ups: `woken` is set by the worker's notification and cleared before each look. */
interface Wakes {
  woken: boolean;
  /** Ends the wait's current sleep. */
  wake: (() => void) | undefined;
}

/**
 * Runs a pg-boss call again while the database is unreachable (restart,
 * terminated connections), with backoff from 100 ms to 5 s, for up to a minute.
 */
async function retryOnLoss<T>(call: () => Promise<T>, forMs = 60_000): Promise<T> {
  const deadline = Date.now() + forMs;
  for (let delay = 100; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      return await call();
    } catch (error) {
      if (!isConnectionLoss(error) || Date.now() + delay > deadline) throw error;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
