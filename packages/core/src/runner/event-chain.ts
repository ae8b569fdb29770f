import type { NewRunEvent, RunEvent } from '../model/events.js';
import { applyEventInPlace, type SprintState } from '../model/state.js';
import type { Redactor } from '../secrets/redactor.js';
import type { SprintStore } from '../stores/sprint-store.js';
import { TaskCountKeeper } from './task-counts.js';

/**
 * Appends a run's events in the order they were asked for, also those emitted
 * while agents run concurrently, and folds each stored event into the run's
 * state. A failed append rejects its own promise but never breaks the chain.
 */
export class EventChain {
  #tail: Promise<unknown> = Promise.resolve();
  readonly #store: SprintStore;
  readonly #sprintId: string;
  readonly #redactor: Redactor;
  readonly #onEvent: ((event: RunEvent) => void) | undefined;
  #state: SprintState;
  #counts: TaskCountKeeper;

  constructor(
    store: SprintStore,
    sprintId: string,
    redactor: Redactor,
    state: SprintState,
    onEvent?: (event: RunEvent) => void,
  ) {
    this.#store = store;
    this.#sprintId = sprintId;
    this.#redactor = redactor;
    this.#state = state;
    this.#counts = new TaskCountKeeper(state);
    this.#onEvent = onEvent;
  }

  /** The run's view of the sprint, kept current with every stored event. */
  get state(): SprintState {
    return this.#state;
  }

  /** Replaces the run's view (reread from the store). */
  set state(state: SprintState) {
    this.#state = state;
    this.#counts.reset(state);
  }

  /** Tasks by status, kept current without walking every task. */
  get counts() {
    return this.#counts.counts;
  }

  append(events: NewRunEvent[]): Promise<RunEvent[]> {
    const redactor = this.#redactor;
    const clean = redactor.empty ? events : events.map((e) => redactor.value(e));
    const p = this.#tail.then(async () => {
      const stored = await this.#store.append(this.#sprintId, clean);
      for (const e of stored) this.#fold(e);
      return stored;
    });
    this.#tail = p.catch(() => undefined);
    return p;
  }

  /** Runs `fn` once every append asked for so far is stored, in the chain, so nothing overtakes it. */
  after<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#tail.then(fn);
    this.#tail = p.catch(() => undefined);
    return p;
  }

  /** Folds an event someone else stored (a claim) into the run's state. */
  adopt(event: RunEvent): void {
    this.#fold(event);
  }

  /** Resolves once every append asked for so far has settled. */
  settled(): Promise<unknown> {
    return this.#tail;
  }

  #fold(event: RunEvent): void {
    const was = this.#counts.before(this.#state, event);
    applyEventInPlace(this.#state, event);
    this.#counts.after(this.#state, event, was);
    this.#onEvent?.(event);
  }
}
