/**
 * Serialized answers to cheap reads, per sprint, for a short time. Loads of
 * the same key at once share one load. Entries are dropped when this process
 * changes the sprint (`invalidate`) and expire after `ttlMs`, which bounds how
 * stale a change made by another process (the CLI) can look.
 */
export class ReadCache {
  readonly #ttlMs: number;
  readonly #entries = new Map<string, { at: number; value: Promise<string>; generation: number }>();
  readonly #generations = new Map<string, number>();

  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs;
  }

  get(key: string, load: () => Promise<string>): Promise<string> {
    if (this.#ttlMs <= 0) return load();
    const generation = this.#generations.get(key) ?? 0;
    const hit = this.#entries.get(key);
    const now = performance.now();
    if (hit && hit.generation === generation && now - hit.at < this.#ttlMs) return hit.value;
    const value = load();
    const entry = { at: now, value, generation };
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
