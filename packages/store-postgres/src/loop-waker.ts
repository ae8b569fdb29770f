/**
 * Which of a worker's fetch loops (one pg-boss `work()` per task slot) a
 * sent job wakes. Each job's NOTIFY reaches every worker process; within
 * one, waking every idle loop made all but one of them fetch nothing. So a
 * job wakes one idle loop of its queue, each in turn, one not woken since
 * it last took a job first. Wakes of a loop whose fetch is under way fold
 * into one, and a job with no idle loop to wake must not wait for the next
 * poll: those wait for the next loop of the queue to finish a job, which
 * then fetches at once. (A wake for a job another process took costs that
 * loop one fetch that finds nothing.)
 */
export class LoopWaker {
  readonly #loops: { id: string; queue: string; busy: boolean; woken: boolean }[] = [];
  readonly #pending = new Map<string, number>();
  #turn = 0;

  /** A loop of `queue` with id `id` (what `work()` returned). */
  add(queue: string, id: string): void {
    this.#loops.push({ id, queue, busy: false, woken: false });
  }

  /**
   * A job was sent on `queue` (`''`: the listener reconnected, and any
   * queue may have had jobs meanwhile). Returns the loops to wake now.
   */
  sent(queue: string): string[] {
    const mine = this.#loops.filter((l) => !queue || l.queue === queue);
    const idle = mine.filter((l) => !l.busy);
    if (!queue) {
      // Whatever was sent meanwhile: every idle loop looks now, each busy one once it is done.
      for (const l of mine) if (l.busy) this.#addPending(l.queue);
      for (const l of idle) l.woken = true;
      return idle.map((l) => l.id);
    }
    const fresh = idle.filter((l) => !l.woken);
    const pool = fresh.length > 0 ? fresh : idle;
    const next = pool[this.#turn++ % Math.max(1, pool.length)];
    // No idle loop, or only ones already fetching, whose wakes fold into one.
    if (!next || next.woken) {
      if (mine.length > 0) this.#addPending(queue);
    }
    if (!next) return [];
    next.woken = true;
    return [next.id];
  }

  /** Loop `id` took a job. */
  started(id: string): void {
    const loop = this.#loops.find((l) => l.id === id);
    if (!loop) return;
    loop.busy = true;
    loop.woken = false;
  }

  /** Loop `id` is done with its job; true when a job sent meanwhile waits for it (wake it at once). */
  finished(id: string): boolean {
    const loop = this.#loops.find((l) => l.id === id);
    if (!loop) return false;
    loop.busy = false;
    const pending = this.#pending.get(loop.queue) ?? 0;
    if (pending === 0) return false;
    this.#pending.set(loop.queue, pending - 1);
    loop.woken = true;
    return true;
  }

  #addPending(queue: string): void {
    this.#pending.set(queue, (this.#pending.get(queue) ?? 0) + 1);
  }
}
