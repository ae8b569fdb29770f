import { hostname } from 'node:os';
import type { Agent, AgentResult, NewRunEvent, SprintHook, StepHookContext } from '@sprint/core';
import {
  afterStepResult,
  conflictResult,
  endMarkedProcesses,
  failedResult,
  markedProcesses,
  runHooks,
} from '@sprint/core';
import type { Job, PgBoss } from 'pg-boss';
import { LoopWaker } from './loop-waker.js';
import type { PostgresStore } from './postgres-store.js';
import {
  ensureQueue,
  jobsChannel,
  parseWake,
  queueFor,
  type TaskJob,
  type TaskJobOutput,
  type TaskQueueOptions,
  wakeAny,
} from './task-queue.js';
import type { WorkerRepo } from './worker-repo.js';

/** The first look of an idle worker after it took a task (ms): pg-boss's floor. */
const MIN_POLL_MS = 500;
/** pg-boss's own poll of each slot, behind the worker's: a slot never goes longer without looking. */
const BACKSTOP_POLL_SECONDS = 60;

export interface TaskWorkerOptions extends TaskQueueOptions {
  store: PostgresStore;
  boss: PgBoss;
  /** The agents this worker runs, by name: it takes only those agents' tasks. */
  agents: Record<string, Agent>;
  /**
   * The step hooks (before-step, after-step: `defaultHooks()` for verify and
   * git-commit), run here around each task's agent, in the directory it
   * works in, as a local run runs them; their outcomes go into the sprint's
   * log. The runner that hands out the tasks runs none of them. One set for
   * the worker's life: a hook may keep state between its calls.
   */
  hooks?: readonly SprintHook[];
  /** Tasks run at once, per agent (default 1). */
  concurrency?: number;
  /**
   * Shown in the workers list; a worker started again under the same name on
   * the same host ends the agents its previous life left running.
   * `claimWorkerName` gives a machine's stable default.
   */
  name: string;
  /**
   * The longest an idle worker goes without looking for a task of each of
   * its agents (ms, default 5,000, least 500). Jobs sent wake a slot at
   * once; this look only finds jobs whose wake was lost (the listening
   * connection cut) or sent before the worker started. It comes 500 ms
   * after the worker last took a task, then backs off, doubling, to this.
   */
  pollMs?: number;
  /**
   * The worker's own clone of the shared remote: each task runs in a
   * worktree of it and its work is pushed and integrated (see `WorkerRepo`).
   * Without one, agents work in the directory the runner named.
   */
  repo?: WorkerRepo;
}

/**
 * A long-running worker: takes task jobs from the queues of the agents it
 * has, runs each with that agent as a local run would (its live activity goes
 * into the sprint's event log), and sends the result back to the sprint's
 * runner. Registered in the `workers` table with a heartbeat. `drain()` ends
 * the running agents and gives their tasks back to be run elsewhere.
 */
export class TaskWorker {
  readonly name: string;
  readonly #o: TaskWorkerOptions;
  readonly #running = new Map<string, { controller: AbortController; job: TaskJob }>();
  #draining = false;
  #heartbeat: NodeJS.Timeout | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  #unlistenJobs: (() => Promise<void>) | undefined;
  readonly #workIds: { queue: string; id: string }[] = [];
  #poll: NodeJS.Timeout | undefined;
  /** Brings the next look forward (see `#startPolling`). */
  #tookTask: () => void = () => undefined;

  constructor(options: TaskWorkerOptions) {
    this.#o = options;
    this.name = options.name;
  }

  /** Tasks this worker runs now. */
  get running(): TaskJob[] {
    return [...this.#running.values()].map((r) => r.job);
  }

  /** What `start` ended: the processes a previous life of this worker (same name, same host) left running. */
  orphansEnded: number[] = [];

  async start(): Promise<void> {
    const { store, boss } = this.#o;
    await this.#endOrphans();
    await this.#o.repo?.open();
    await store.db.query(
      `INSERT INTO ${store.table('workers')} (name, host, pid, agents, tasks, started_at, heartbeat_at, stopped_at)
       VALUES ($1, $2, $3, $4, '[]', now(), now(), NULL)
       ON CONFLICT (name) DO UPDATE SET host = $2, pid = $3, agents = $4, tasks = '[]', markers = '[]',
         started_at = now(), heartbeat_at = now(), stopped_at = NULL`,
      [this.name, hostname(), process.pid, JSON.stringify(Object.keys(this.#o.agents))],
    );
    this.#heartbeat = setInterval(() => void this.#beat(), 2_000);
    this.#heartbeat.unref();
    this.#unlisten = await store.db.listen(store.abortChannel, (jobId) => {
      this.#running
        .get(jobId)
        ?.controller.abort(new Error('the sprint stopped or cancelled this task'));
    });
    // A job was sent: one idle slot of its queue fetches now rather than at its next poll.
    const waker = new LoopWaker();
    this.#unlistenJobs = await store.db.listen(jobsChannel(store), (payload) => {
      const wake = parseWake(payload);
      if (wake.worker !== undefined && wake.worker !== this.name) return;
      const { wake: ids, handOn } = waker.sent(wake.queue, wake.worker !== undefined);
      for (const id of ids) boss.notifyWorker(id);
      // Named for this worker, which has no slot free: any other worker takes it now.
      if (handOn) void wakeAny(store, wake.queue).catch(() => undefined);
    });
    this.#startPolling(waker);
    for (const agent of Object.keys(this.#o.agents)) {
      await ensureQueue(boss, agent, this.#o);
      const queue = queueFor(agent);
      // A loop per slot, so that a sent job wakes one of them, not all.
      for (let slot = 0; slot < (this.#o.concurrency ?? 1); slot++) {
        const loop = { id: '' };
        loop.id = await boss.work(
          queue,
          // pg-boss's own poll of each loop is only a backstop behind this worker's (#startPolling).
          { pollingIntervalSeconds: BACKSTOP_POLL_SECONDS },
          async (jobs: Job<object>[]) => {
            waker.started(loop.id);
            this.#tookTask();
            let freed = false;
            // Free as soon as its result is decided, before it is recorded: the runner's
            // next job, named for this worker, may then arrive while the result is
            // written, and wakes this loop for when pg-boss is done with the job.
            const free = () => {
              if (freed) return;
              freed = true;
              // A job sent while every slot was busy, or found waiting: this loop looks again at once.
              if (waker.finished(loop.id)) boss.notifyWorker(loop.id);
            };
            try {
              return await this.#handle(jobs[0] as Job<object>, free);
            } finally {
              free();
            }
          },
        );
        waker.add(queue, loop.id);
        this.#workIds.push({ queue, id: loop.id });
      }
    }
  }

  /**
   * Looks for jobs whose wake was lost: one idle slot of each queue, 500 ms
   * after this worker last took a task, then backing off, doubling, to
   * `pollMs`. (Each slot looks once when it starts.)
   */
  #startPolling(waker: LoopWaker): void {
    const most = Math.max(MIN_POLL_MS, this.#o.pollMs ?? 5_000);
    const schedule = (delay: number) => {
      clearTimeout(this.#poll);
      this.#poll = setTimeout(() => {
        for (const id of waker.poll()) this.#o.boss.notifyWorker(id);
        schedule(Math.min(delay * 2, most));
      }, delay);
      this.#poll.unref();
    };
    this.#tookTask = () => schedule(MIN_POLL_MS);
    schedule(most);
  }

  /** Runs one job and records its result. */
  async #handle(job: Job<object>, free: () => void): Promise<TaskJobOutput> {
    const { store } = this.#o;
    let output: TaskJobOutput;
    try {
      output = await this.#run(job);
    } catch (error) {
      void this.#beat();
      throw error;
    }
    // Recorded in the store (which retries through a lost connection) before pg-boss
    // completes the job: if completing fails, the runner still has the result and
    // the task is not run again. The runner waiting for it hears at once (it polls
    // only as a fallback). One statement also takes the task off this worker's row
    // and clears results recorded an hour ago (their runners read them within a
    // second of the notification; pg-boss keeps each job's output besides).
    const [tasks, markers] = this.#beatValues();
    free();
    await store.db
      .query(
        `WITH recorded AS (
           INSERT INTO ${store.table('job_results')} (job_id, output) VALUES ($1, $2)
           ON CONFLICT (job_id) DO NOTHING
         ), cleared AS (
           DELETE FROM ${store.table('job_results')} WHERE at < now() - interval '1 hour'
         ), beat AS (
           UPDATE ${store.table('workers')} SET heartbeat_at = now(), tasks = $5, markers = $6
            WHERE name = $4
         )
         SELECT pg_notify($3, $1)`,
        [job.id, JSON.stringify(output), store.resultsChannel, this.name, tasks, markers],
      )
      .catch(() => undefined);
    return output;
  }

  /**
   * A worker killed with -9 leaves its agents running, and the merge verify
   * it ran as integrator. Their run markers were recorded in its row and in
   * the integration leases it held; the same worker coming back on the same
   * host ends every process that carries one of them (the agent or verify
   * and all it started).
   */
  async #endOrphans(): Promise<void> {
    const { store } = this.#o;
    const [row] = await store.db.query<{ host: string; markers: string[] | string }>(
      `SELECT host, markers FROM ${store.table('workers')} WHERE name = $1`,
      [this.name],
    );
    if (!row || row.host !== hostname()) return;
    const markers: string[] =
      typeof row.markers === 'string' ? JSON.parse(row.markers) : (row.markers ?? []);
    // A lease's holder is `<worker>:<random>` (see `WorkerRepo.integrateQueue`).
    const leases = await store.db.query<{ marker: string }>(
      `SELECT marker FROM ${store.table('leases')}
        WHERE marker IS NOT NULL AND left(holder, length($1) + 1) = $1 || ':'`,
      [this.name],
    );
    markers.push(...leases.map((l) => l.marker));
    for (const marker of markers) {
      const pids = markedProcesses(marker);
      if (pids.length === 0) continue;
      this.orphansEnded.push(...pids);
      await endMarkedProcesses(marker, [], 2_000);
    }
  }

  async #beat(): Promise<void> {
    const { store } = this.#o;
    await store.db
      .query(
        `UPDATE ${store.table('workers')} SET heartbeat_at = now(), tasks = $2, markers = $3 WHERE name = $1`,
        [this.name, ...this.#beatValues()],
      )
      .catch(() => undefined);
  }

  /** The worker row's `tasks` and `markers` (JSON) for what runs now. */
  #beatValues(): [string, string] {
    const running = this.running;
    return [
      JSON.stringify(running.map((j) => `${j.sprintId}/${j.taskId}`)),
      JSON.stringify(running.flatMap((j) => (j.context.runMarker ? [j.context.runMarker] : []))),
    ];
  }

  async #run(job: Job<object>): Promise<TaskJobOutput> {
    const data = job.data as TaskJob;
    if (this.#draining) return { kind: 'returned', worker: this.name, reason: 'draining' };
    const agent = this.#o.agents[data.agent];
    if (!agent) {
      return {
        kind: 'result',
        worker: this.name,
        result: failedResult('config', `worker ${this.name} has no agent ${data.agent}`),
      };
    }
    const controller = new AbortController();
    this.#running.set(job.id, { controller, job: data });
    // Its marker is in the table before the agent starts: a kill -9 right after cannot hide it.
    await this.#beat();
    const { store, repo } = this.#o;
    try {
      const wt = repo ? await repo.prepare(data.sprintId, data.taskId, data.attempt) : undefined;
      const projectDir = wt?.projectDir ?? data.context.projectDir;
      const step = await this.#stepContext(data, projectDir, controller.signal);
      const hooks = this.#o.hooks ?? [];
      const append = (events: NewRunEvent[]) => store.append(data.sprintId, events);
      const hooked = { taskId: data.taskId };
      const before = step
        ? await runHooks(hooks, 'before-step', (h) => h.beforeStep?.(step), append, hooked)
        : undefined;
      let result: AgentResult = before?.blockingFailure
        ? failedResult('hook', before.blockingFailure)
        : await agent.run({
            ...data.context,
            projectDir,
            signal: controller.signal,
            emit: (activity) => {
              void store
                .append(data.sprintId, [{ type: 'agent-activity', taskId: data.taskId, activity }])
                .catch(() => undefined);
            },
            // The pid is this host's: the runner on another host must never signal it.
            setPid: () => undefined,
          });
      if (step && !before?.blockingFailure && result.success) {
        const done = result;
        const after = await runHooks(
          hooks,
          'after-step',
          (h) => h.afterStep?.({ ...step, result: done }),
          append,
          { ...hooked, keepDeferred: true },
        );
        result = afterStepResult(result, after);
      }
      if (step) {
        const ended = { ...step, result };
        await runHooks(hooks, 'after-step', (h) => h.endStep?.(ended), append, hooked).catch(
          () => undefined,
        );
      }
      if (this.#draining && controller.signal.aborted) {
        return { kind: 'returned', worker: this.name, reason: 'the worker was stopped (SIGTERM)' };
      }
      if (repo && wt && !result.success) await repo.discard(data.sprintId, wt);
      if (repo && wt && result.success) {
        const landing = await repo.land(wt, {
          sprintId: data.sprintId,
          sprintName: data.context.sprint.name,
          taskId: data.taskId,
          taskType: data.context.task.type,
          label: data.context.task.title ?? data.taskId,
          summary: result.summary,
          marker: data.context.runMarker,
        });
        if (landing.kind === 'conflict') {
          // As a local worktree run decides it: the first conflict reruns on the new head, the second asks a person.
          const { state } = await store.load(data.sprintId);
          result = conflictResult({
            taskId: data.taskId,
            conflictsBefore: (state.tasks[data.taskId]?.attempts ?? []).filter(
              (a) => a.error?.kind === 'conflict',
            ).length,
            result,
            description: landing.detail,
            kept: `its work is on branch ${wt.branch} of ${repo.remote}`,
          });
        } else if (landing.kind === 'verify-failed') {
          result = failedResult('verify', `integrating ${data.taskId}: ${landing.detail}`, {
            costUsd: result.costUsd,
            tokens: result.tokens,
            durationMs: result.durationMs,
          });
        }
      }
      return { kind: 'result', result, worker: this.name };
    } finally {
      // Off the worker's row with the recorded result (see `start`).
      this.#running.delete(job.id);
    }
  }

  /** What the step hooks see of an attempt; undefined when the worker has none. */
  async #stepContext(
    data: TaskJob,
    projectDir: string,
    signal: AbortSignal,
  ): Promise<StepHookContext | undefined> {
    if (!this.#o.hooks?.length) return undefined;
    const { definition, state } = await this.#o.store.load(data.sprintId);
    return {
      sprint: definition,
      state,
      projectDir,
      sprintDir: data.context.sprintDir,
      stateFiles: data.context.stateFiles,
      signal,
      task: data.context.task,
      attempt: data.attempt,
      runMarker: data.context.runMarker,
      // In the task's worktree of the worker's clone, whose work the worker commits itself.
      isolated: projectDir !== data.context.projectDir,
    };
  }

  /**
   * Stops taking tasks, ends the running agents and gives their tasks back
   * (they are sent to another worker, uncounted), then leaves the list.
   */
  async drain(): Promise<void> {
    this.#draining = true;
    const { boss, store } = this.#o;
    for (const { controller } of this.#running.values()) {
      controller.abort(new Error('the worker is draining'));
    }
    for (const { queue, id } of this.#workIds) {
      await boss.offWork(queue, { id, wait: true }).catch(() => undefined);
    }
    await boss.stop({ graceful: true, timeout: 30_000 }).catch(() => undefined);
    clearInterval(this.#heartbeat);
    this.#tookTask = () => undefined;
    clearTimeout(this.#poll);
    await this.#unlisten?.();
    await this.#unlistenJobs?.();
    await store.db
      .query(
        `UPDATE ${store.table('workers')} SET stopped_at = now(), tasks = '[]' WHERE name = $1`,
        [this.name],
      )
      .catch(() => undefined);
  }
}
