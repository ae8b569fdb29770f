/**
 * Serialized answers to cheap reads, per sprint. Loads of the same key at
 * once share one load. Entries are dropped when this process changes the
 * sprint (`invalidate`). An answer given with a version (the store's token
 * for the sprint's content) is reused exactly while the version is the same,
 * so a change made by another process (the CLI) is never served stale; one
 * without a version expires after `ttlMs`.
 */
export class ReadCache<T> {
  readonly #ttlMs: number;
  readonly #entries = new Map<
    string,
    { at: number; value: Promise<T>; generation: number; version: string | undefined }
  >();
  readonly #generations = new Map<string, number>();

  /** `ttlMs`: how long an answer without a version is reused; 0 turns caching off. */
  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs;
  }

  get(key: string, load: () => Promise<T>, version?: string): Promise<T> {
    if (this.#ttlMs <= 0) return load();
    const generation = this.#generations.get(key) ?? 0;
    const hit = this.#entries.get(key);
    const now = performance.now();
    if (hit && hit.generation === generation) {
      if (version !== undefined ? hit.version === version : now - hit.at < this.#ttlMs) {
        return hit.value;
      }
    }
    const value = load();
    const entry = { at: now, value, generation, version };
    this.#entries.set(key, entry);
    value.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    return value;
  }

  invalidate(key: string): void {
    this.#generations.set(key, (this.#generations.get(key) ?? 0) + 1);
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
