import type { NewRunEvent, RunEvent } from '../model/events.js';
import { isTaskReady } from '../model/fold.js';
import type { SprintDefinition, Task } from '../model/sprint.js';
import type { SprintState } from '../model/state.js';

/** Serialises async work per key, so appends to one sprint never interleave. */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();

  /** Whether work for `key` is queued or running. */
  busy(key: string): boolean {
    return this.#tails.has(key);
  }

  run<T>(key: string, fn: () => Promise<T> | T): Promise<T> {
    const prev = this.#tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return next;
  }
}

/** Live listeners per sprint. */
export class EventHub {
  readonly #listeners = new Map<string, Set<(event: RunEvent) => void>>();

  subscribe(sprintId: string, listener: (event: RunEvent) => void): () => void {
    let set = this.#listeners.get(sprintId);
    if (!set) {
      set = new Set();
      this.#listeners.set(sprintId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(sprintId);
    };
  }

  count(sprintId: string): number {
    return this.#listeners.get(sprintId)?.size ?? 0;
  }

  emit(sprintId: string, events: readonly RunEvent[]): void {
    const set = this.#listeners.get(sprintId);
    if (!set) return;
    for (const event of events) {
      for (const listener of set) {
        try {
          listener(event);
        } catch {
          // One listener's failure must not stop the others or the run.
        }
      }
    }
  }
}

/** Numbers and stamps new events after `lastSeq`. */
export function stampEvent(
  sprintId: string,
  seq: number,
  event: NewRunEvent,
  now: string,
): RunEvent {
  return { ...event, seq, at: event.at ?? now, sprintId } as RunEvent;
}

/**
 * The attempt number for claiming `taskId`, or null when it is not claimable
 * now (not pending or failed, dependencies not done, retry delay not over).
 */
export function claimableAttempt(
  definition: Pick<SprintDefinition, 'tasks'>,
  state: SprintState,
  taskId: string,
): number | null {
  const task = taskIndex(definition).get(taskId);
  if (!task || !isTaskReady(task, state)) return null;
  return (state.tasks[taskId]?.attempts.length ?? 0) + 1;
}

const indexes = new WeakMap<readonly Task[], { size: number; byId: Map<string, Task> }>();

/** Tasks by id, cached per task list (rebuilt when the list grows). */
function taskIndex(definition: Pick<SprintDefinition, 'tasks'>): Map<string, Task> {
  const cached = indexes.get(definition.tasks);
  if (cached && cached.size === definition.tasks.length) return cached.byId;
  const byId = new Map(definition.tasks.map((t) => [t.id, t]));
  indexes.set(definition.tasks, { size: definition.tasks.length, byId });
  return byId;
}

/** Events that change what PROGRESS.yaml or the document shows. */
export function changesState(event: RunEvent): boolean {
  return (
    event.type !== 'agent-activity' &&
    event.type !== 'log' &&
    event.type !== 'worktree' &&
    event.type !== 'hook' &&
    event.type !== 'control' &&
    event.type !== 'run-started'
  );
}

/** Events after which the file form must be current at once. */
export function needsPromptCheckpoint(event: RunEvent): boolean {
  return (
    event.type === 'sprint-status' ||
    event.type === 'run-ended' ||
    event.type === 'tasks-added' ||
    event.type === 'human-answer'
  );
}
