import type { RunEvent } from '../model/events.js';
import { countTasks, type SprintState, type TaskCounts } from '../model/state.js';

/**
 * The counts of tasks by status, kept current event by event instead of
 * walking every task for each progress report (which made a 10,000-task run
 * quadratic). `before` reads a task's status ahead of folding an event;
 * `after` applies the change.
 */
export class TaskCountKeeper {
  #counts: TaskCounts;

  constructor(state: SprintState) {
    this.#counts = countTasks(state);
  }

  /** The task an event may move, and its status before the event. */
  before(state: SprintState, event: RunEvent): string | undefined {
    return 'taskId' in event && event.taskId ? state.tasks[event.taskId]?.status : undefined;
  }

  after(state: SprintState, event: RunEvent, was: string | undefined): void {
    if (event.type === 'tasks-added') {
      this.#counts = countTasks(state);
      return;
    }
    if (!('taskId' in event) || !event.taskId) return;
    const now = state.tasks[event.taskId]?.status;
    if (now === was || !now) return;
    if (was) this.#counts[was as keyof TaskCounts]--;
    else this.#counts.total++;
    this.#counts[now]++;
  }

  /** Counts again from scratch (the state was replaced). */
  reset(state: SprintState): void {
    this.#counts = countTasks(state);
  }

  /** A copy, safe to hand to listeners. */
  get counts(): TaskCounts {
    return { ...this.#counts };
  }
}
