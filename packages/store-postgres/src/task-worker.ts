import { hostname } from 'node:os';
import type { Agent, AgentResult } from '@sprint/core';
import { failedResult } from '@sprint/core';
import type { Job, PgBoss } from 'pg-boss';
import type { PostgresStore } from './postgres-store.js';
import {
  defaultWorkerName,
  ensureQueue,
  queueFor,
  type TaskJob,
  type TaskJobOutput,
  type TaskQueueOptions,
} from './task-queue.js';

export interface TaskWorkerOptions extends TaskQueueOptions {
  store: PostgresStore;
  boss: PgBoss;
  /** The agents this worker runs, by name: it takes only those agents' tasks. */
  agents: Record<string, Agent>;
  /** Tasks run at once, per agent (default 1). */
  concurrency?: number;
  /** Shown in the workers list (default host-pid). */
  name?: string;
  /** How often an idle worker looks for a task (ms, default and least 500: pg-boss's floor). */
  pollMs?: number;
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
  readonly #workIds: { queue: string; id: string }[] = [];

  constructor(options: TaskWorkerOptions) {
    this.#o = options;
    this.name = options.name ?? defaultWorkerName();
  }

  /** Tasks this worker runs now. */
  get running(): TaskJob[] {
    return [...this.#running.values()].map((r) => r.job);
  }

  async start(): Promise<void> {
    const { store, boss } = this.#o;
    await store.db.query(
      `INSERT INTO ${store.table('workers')} (name, host, pid, agents, tasks, started_at, heartbeat_at, stopped_at)
       VALUES ($1, $2, $3, $4, '[]', now(), now(), NULL)
       ON CONFLICT (name) DO UPDATE SET host = $2, pid = $3, agents = $4, tasks = '[]',
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
    for (const agent of Object.keys(this.#o.agents)) {
      await ensureQueue(boss, agent, this.#o);
      const id = await boss.work(
        queueFor(agent),
        {
          localConcurrency: this.#o.concurrency ?? 1,
          pollingIntervalSeconds: Math.max(500, this.#o.pollMs ?? 500) / 1000,
        },
        async (jobs: Job<object>[]) => this.#run(jobs[0] as Job<object>),
      );
      this.#workIds.push({ queue: queueFor(agent), id });
    }
  }

  async #beat(): Promise<void> {
    const { store } = this.#o;
    await store.db
      .query(
        `UPDATE ${store.table('workers')} SET heartbeat_at = now(), tasks = $2 WHERE name = $1`,
        [this.name, JSON.stringify(this.running.map((j) => `${j.sprintId}/${j.taskId}`))],
      )
      .catch(() => undefined);
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
    void this.#beat();
    const { store } = this.#o;
    try {
      const result: AgentResult = await agent.run({
        ...data.context,
        signal: controller.signal,
        emit: (activity) => {
          void store
            .append(data.sprintId, [{ type: 'agent-activity', taskId: data.taskId, activity }])
            .catch(() => undefined);
        },
        // The pid is this host's: the runner on another host must never signal it.
        setPid: () => undefined,
      });
      if (this.#draining && controller.signal.aborted) {
        return { kind: 'returned', worker: this.name, reason: 'the worker was stopped (SIGTERM)' };
      }
      return { kind: 'result', result, worker: this.name };
    } finally {
      this.#running.delete(job.id);
      void this.#beat();
    }
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
    await this.#unlisten?.();
    await store.db
      .query(
        `UPDATE ${store.table('workers')} SET stopped_at = now(), tasks = '[]' WHERE name = $1`,
        [this.name],
      )
      .catch(() => undefined);
  }
}
