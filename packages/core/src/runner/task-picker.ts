import type { SprintDefinition, Task } from '../model/sprint.js';
import { isTaskReady, type SprintState } from '../model/state.js';
import type { TaskStatus } from '../model/status.js';

/** Statuses a task cannot leave within one run (a resume reopens blocked ones). */
const SETTLED: ReadonlySet<TaskStatus> = new Set(['done', 'skipped', 'cancelled', 'blocked']);

/**
 * Picks the next task of a run: the queue as written is the execution order,
 * dependencies permitting, and a task that was interrupted (its runner died
 * or was stopped while it ran) goes first. `priority` does not reorder the
 * queue; it only places the tasks the tool itself inserts.
 *
 * A cursor skips the settled head of the queue, so picking stays O(1) per
 * task on a sequential run of any size instead of rescanning from the start.
 */
export class TaskPicker {
  readonly #tasks: readonly Task[];
  readonly #byId: Map<string, Task>;
  #cursor = 0;
  /** Interrupted tasks, in written order, until they run. */
  #first: string[];

  constructor(definition: Pick<SprintDefinition, 'tasks'>, state: SprintState) {
    this.#tasks = definition.tasks;
    this.#byId = new Map(this.#tasks.map((t) => [t.id, t]));
    this.#first = this.#tasks
      .filter((t) => {
        const ts = state.tasks[t.id];
        return ts?.status === 'pending' && ts.attempts.at(-1)?.outcome === 'interrupted';
      })
      .map((t) => t.id);
  }

  /** The task to start next, if one may start `now`; `exclude` holds those already running here. */
  next(
    state: SprintState,
    exclude?: ReadonlyMap<string, unknown> | ReadonlySet<string>,
    now: number = Date.now(),
  ): Task | undefined {
    if (this.#first.length) {
      this.#first = this.#first.filter((id) => state.tasks[id]?.status === 'pending');
      for (const id of this.#first) {
        const task = this.#byId.get(id);
        if (task && !exclude?.has(id) && isTaskReady(task, state, now)) return task;
      }
    }
    const tasks = this.#tasks;
    while (this.#cursor < tasks.length) {
      const status = state.tasks[tasks[this.#cursor]!.id]?.status;
      if (!status || !SETTLED.has(status)) break;
      this.#cursor++;
    }
    for (let i = this.#cursor; i < tasks.length; i++) {
      const task = tasks[i]!;
      if (!exclude?.has(task.id) && isTaskReady(task, state, now)) return task;
    }
    return undefined;
  }

  /** Starts over from the head of the queue (the state was reread from the store). */
  reset(): void {
    this.#cursor = 0;
  }
}
