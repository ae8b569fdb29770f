/** Why a loop was last woken: for a job sent, or to look for whatever is waiting (a poll, a reconnect). */
type Woken = false | 'job' | 'look';

/**
 * Which of a worker's fetch loops (one pg-boss `work()` per task slot) a
 * wake-up starts. A job sent names the one worker process it wakes (see
 * `WorkerDispatchAgent`), or none (any process may take it: each wakes one
 * idle loop). Within the process it wakes one idle loop of its queue, each
 * in turn, one not woken since it last took a job first; a loop woken
 * while its fetch is under way fetches again after it (pg-boss's notify).
 * A job with no idle loop to wake must not wait for the next poll: one
 * named for this process is handed on to every process (`handOn`), and one
 * for any waits for the next loop of the queue to finish a job, which then
 * fetches at once. A loop that took a job no wake was sent for (a backlog:
 * jobs sent before the worker started, or a wake lost) looks again as soon
 * as it is done.
 */
export class LoopWaker {
  readonly #loops: {
    id: string;
    queue: string;
    busy: boolean;
    woken: Woken;
    /** The job it runs was found by a look, not sent with a wake: more may be waiting. */
    found: boolean;
  }[] = [];
  readonly #pending = new Map<string, number>();
  #turn = 0;

  /** A loop of `queue` with id `id` (what `work()` returned). */
  add(queue: string, id: string): void {
    this.#loops.push({ id, queue, busy: false, woken: false, found: false });
  }

  /**
   * A job was sent on `queue`, named for this process or for any (`''`: the
   * listener reconnected, and any queue may have had jobs meanwhile).
   * Returns the loops to wake now, and whether to hand a job named for this
   * process on to all (no idle loop was free to fetch it).
   */
  sent(queue: string, named = false): { wake: string[]; handOn: boolean } {
    const mine = this.#loops.filter((l) => !queue || l.queue === queue);
    const idle = mine.filter((l) => !l.busy);
    if (!queue) {
      // Whatever was sent meanwhile: every idle loop looks now, each busy one once it is done.
      for (const l of mine) if (l.busy) this.#addPending(l.queue);
      for (const l of idle) l.woken = 'look';
      return { wake: idle.map((l) => l.id), handOn: false };
    }
    const fresh = idle.filter((l) => !l.woken);
    const pool = fresh.length > 0 ? fresh : idle;
    const next = pool[this.#turn++ % Math.max(1, pool.length)];
    if (next) {
      // Woken again while its fetch is under way, pg-boss fetches once more when that one is done.
      next.woken = 'job';
      return { wake: [next.id], handOn: false };
    }
    // Every loop busy. Handed on, the job comes back to this process too, as any worker's.
    if (named) return { wake: [], handOn: true };
    if (mine.length > 0) this.#addPending(queue);
    return { wake: [], handOn: false };
  }

  /** A timer's look for jobs whose wake was lost: one idle loop of each queue, not woken yet first. */
  poll(): string[] {
    const ids: string[] = [];
    for (const queue of new Set(this.#loops.map((l) => l.queue))) {
      const idle = this.#loops.filter((l) => l.queue === queue && !l.busy);
      const next = idle.find((l) => !l.woken) ?? idle[0];
      if (!next) continue;
      next.woken ||= 'look';
      ids.push(next.id);
    }
    return ids;
  }

  /** Loop `id` took a job. */
  started(id: string): void {
    const loop = this.#loops.find((l) => l.id === id);
    if (!loop) return;
    loop.busy = true;
    loop.found = loop.woken !== 'job';
    loop.woken = false;
  }

  /**
   * Loop `id` is done with its job; true when it should look again at once:
   * a job sent meanwhile waits for it, or its job was found waiting.
   */
  finished(id: string): boolean {
    const loop = this.#loops.find((l) => l.id === id);
    if (!loop?.busy) return false;
    loop.busy = false;
    const pending = this.#pending.get(loop.queue) ?? 0;
    if (pending === 0 && !loop.found) return false;
    if (pending > 0) this.#pending.set(loop.queue, pending - 1);
    loop.woken = pending > 0 ? 'job' : 'look';
    return true;
  }

  #addPending(queue: string): void {
    this.#pending.set(queue, (this.#pending.get(queue) ?? 0) + 1);
  }
}
