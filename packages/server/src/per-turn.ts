/**
 * Values computed at most once per turn of the event loop, per key: every request read
 * in one poll phase shares the first one's, and the next phase computes afresh.
 *
 * Sound for a sprint's version (stats of its files): the requests read in one poll phase
 * were all in the kernel's buffers before the phase began, so a version read during the
 * phase is never older than any of them; a change made after a request arrived is never
 * hidden from it. (With more than 1,024 sockets ready at once libuv polls again within
 * the phase: a request of that second batch may then get a version read microseconds
 * before it arrived.) Under load, many reads arrive in one phase: they share one version
 * check instead of a handful of `lstat` calls each.
 */
export class PerTurn<T> {
  readonly #values = new Map<string, T>();
  #clearing = false;

  get(key: string, compute: () => T): T {
    if (this.#values.has(key)) return this.#values.get(key) as T;
    const value = compute();
    this.#values.set(key, value);
    if (!this.#clearing) {
      this.#clearing = true;
      // The check phase follows the poll phase: what the next phase reads is computed anew.
      setImmediate(() => {
        this.#clearing = false;
        this.#values.clear();
      });
    }
    return value;
  }

  /** Forgets the value of `key` (this process changed what it depends on). */
  delete(key: string): void {
    this.#values.delete(key);
  }
}
