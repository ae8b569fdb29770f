/** Tasks waiting for a retry delay or a rate-limit reset: id -> earliest start (ms since epoch). */
export class RetryWaits {
  readonly #at = new Map<string, number>();

  set(taskId: string, atMs: number): void {
    this.#at.set(taskId, atMs);
  }

  delete(taskId: string): void {
    this.#at.delete(taskId);
  }

  /** How many still wait at `now`: each keeps its slot, so a failure is retried before later tasks start. */
  waiting(now = Date.now()): number {
    let n = 0;
    for (const at of this.#at.values()) if (at > now) n++;
    return n;
  }

  /** Time until the earliest wait ends, if any task waits. */
  nextInMs(now = Date.now()): number | undefined {
    let earliest: number | undefined;
    for (const at of this.#at.values()) {
      if (earliest === undefined || at < earliest) earliest = at;
    }
    return earliest === undefined ? undefined : Math.max(0, earliest - now);
  }
}
