import pg from 'pg';
import type { Database, Queryable } from './db.js';

/**
 * A served PostgreSQL through a `pg` pool. LISTEN uses one dedicated
 * connection, re-established with backoff when the server restarts.
 */
export class PgDatabase implements Database {
  readonly kind = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #channels = new Map<string, Set<(payload: string) => void>>();
  #listener: pg.Client | undefined;
  #listenerStarting: Promise<pg.Client> | undefined;
  #closed = false;
  readonly #url: string;

  constructor(url: string, options: { max?: number } = {}) {
    this.#url = url;
    this.#pool = new pg.Pool({ connectionString: url, max: options.max ?? 10 });
    // An idle client that loses its server must not crash the process: the next query reconnects.
    this.#pool.on('error', () => undefined);
  }

  async query<T>(text: string, params?: unknown[]): Promise<T[]> {
    const result = await this.#pool.query(text, params as unknown[]);
    return result.rows as T[];
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const tx: Queryable = {
        query: async <R>(text: string, params?: unknown[]) =>
          (await client.query(text, params as unknown[])).rows as R[],
      };
      const out = await fn(tx);
      await client.query('COMMIT');
      return out;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async listen(
    channel: string,
    onPayload: (payload: string) => void,
  ): Promise<() => Promise<void>> {
    let set = this.#channels.get(channel);
    const fresh = !set;
    if (!set) {
      set = new Set();
      this.#channels.set(channel, set);
    }
    set.add(onPayload);
    const client = await this.#connectListener();
    if (fresh) await client.query(`LISTEN ${quoteIdent(channel)}`);
    return async () => {
      set.delete(onPayload);
      if (set.size === 0 && this.#channels.get(channel) === set) {
        this.#channels.delete(channel);
        await this.#listener?.query(`UNLISTEN ${quoteIdent(channel)}`).catch(() => undefined);
      }
    };
  }

  #connectListener(): Promise<pg.Client> {
    if (this.#listener) return Promise.resolve(this.#listener);
    this.#listenerStarting ??= (async () => {
      const client = new pg.Client({ connectionString: this.#url });
      client.on('notification', (msg) => {
        for (const fn of this.#channels.get(msg.channel) ?? []) fn(msg.payload ?? '');
      });
      client.on('error', () => this.#dropListener(client));
      client.on('end', () => this.#dropListener(client));
      await client.connect();
      this.#listener = client;
      return client;
    })().finally(() => {
      this.#listenerStarting = undefined;
    });
    return this.#listenerStarting;
  }

  /** The listening connection died (server restart): reconnect with backoff and listen again. */
  #dropListener(client: pg.Client): void {
    if (this.#listener !== client) return;
    this.#listener = undefined;
    void client.end().catch(() => undefined);
    if (this.#closed || this.#channels.size === 0) return;
    void (async () => {
      for (let delay = 100; !this.#closed; delay = Math.min(delay * 2, 5_000)) {
        await new Promise((r) => setTimeout(r, delay));
        try {
          const c = await this.#connectListener();
          for (const ch of this.#channels.keys()) await c.query(`LISTEN ${quoteIdent(ch)}`);
          // Whatever was notified while disconnected is lost: wake every listener once so it re-reads.
          for (const set of this.#channels.values()) for (const fn of set) fn('');
          return;
        } catch {
          // The server is still down: try again after a longer pause.
        }
      }
    })();
  }

  async close(): Promise<void> {
    this.#closed = true;
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.#pool.end();
  }
}

/** Double-quotes an identifier for SQL. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
