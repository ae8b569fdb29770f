import pg from 'pg';
import type { Database, Queryable } from './db.js';
import { PreparingClient } from './prepared-client.js';

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

  readonly #reconnectMs: number;

  constructor(url: string, options: { max?: number; reconnectMs?: number } = {}) {
    this.#url = url;
    this.#reconnectMs = options.reconnectMs ?? 60_000;
    this.#pool = new pg.Pool({
      connectionString: url,
      max: options.max ?? 10,
      // Each statement is parsed and planned once per connection, not at every call.
      Client: PreparingClient,
    });
    // An idle client that loses its server must not crash the process: the next query reconnects.
    this.#pool.on('error', () => undefined);
    // Nor one just handed out: the server's "terminating connection" can arrive in the same
    // read as the end of the handshake, after the pool took its listener off and before the
    // caller can add one, and an 'error' nobody hears ends the process. Queries still fail.
    this.#pool.on('connect', (client) => client.on('error', () => undefined));
  }

  async query<T>(text: string, params?: unknown[]): Promise<T[]> {
    return this.#retrying(async () => {
      const result = await this.#pool.query(text, params as unknown[]);
      return result.rows as T[];
    });
  }

  /**
   * One round trip, not retried: whether the server answers now. For the
   * first contact, where a refused connection means a wrong URL or a server
   * that is not running, not an outage to wait out.
   */
  async ping(): Promise<void> {
    await this.#pool.query('SELECT 1');
  }

  async queryOnce<T>(text: string, params?: unknown[]): Promise<T[]> {
    // Connecting is tried again while the server is away: nothing was sent yet.
    const client = await this.#retrying(() => this.#pool.connect());
    const ignore = () => undefined;
    client.on('error', ignore);
    let broken = false;
    try {
      return (await client.query(text, params as unknown[])).rows as T[];
    } catch (error) {
      if (!isConnectionLoss(error)) throw error; // the server refused it: nothing changed
      broken = true;
      // It may have committed. Its backend gone, its outcome is final and can be looked up.
      const pid = (client as unknown as { processID?: number }).processID;
      throw new AmbiguousCommitError(error, pid !== undefined && (await this.#ended(pid)));
    } finally {
      client.off('error', ignore);
      client.release(broken);
    }
  }

  /** Whether backend `pid` has ended (asked on another connection until it has, for up to `reconnectMs`). */
  async #ended(pid: number): Promise<boolean> {
    const deadline = Date.now() + this.#reconnectMs;
    try {
      for (let delay = 50; ; delay = Math.min(delay * 2, 1_000)) {
        const alive = await this.query(
          'SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND pid <> pg_backend_pid()',
          [pid],
        );
        if (alive.length === 0) return true;
        if (this.#closed || Date.now() + delay > deadline) return false;
        await new Promise((r) => setTimeout(r, delay));
      }
    } catch {
      return false; // the server stayed away
    }
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.#retrying(() => this.#transaction(fn));
  }

  /**
   * Runs `attempt` again, with backoff (100 ms doubling to 5 s), while it
   * fails because the server is gone (restart, failover, connections
   * terminated), for up to `reconnectMs`. Anything else fails at once.
   */
  async #retrying<T>(attempt: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.#reconnectMs;
    for (let delay = 100; ; delay = Math.min(delay * 2, 5_000)) {
      try {
        return await attempt();
      } catch (error) {
        const again = error instanceof RetryableAbort || isConnectionLoss(error);
        if (this.#closed || !again || Date.now() + delay > deadline) {
          throw error instanceof RetryableAbort ? error.cause : error;
        }
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  async #transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    // A checked-out client whose server goes away emits 'error': the failing query reports it.
    const ignore = () => undefined;
    client.on('error', ignore);
    let broken = false;
    let committing = false;
    let xid: string | undefined;
    let out: T | undefined;
    try {
      // The transaction's id, so a commit whose answer is lost can be looked up afterwards.
      const begun = (await client.query('BEGIN; SELECT txid_current()::text AS xid')) as unknown as
        | pg.QueryResult<{ xid: string }>[]
        | pg.QueryResult<{ xid: string }>;
      xid = (Array.isArray(begun) ? begun[1] : begun)?.rows[0]?.xid;
      const tx: Queryable = {
        query: async <R>(text: string, params?: unknown[]) =>
          (await client.query(text, params as unknown[])).rows as R[],
      };
      out = await fn(tx);
      committing = true;
      await client.query('COMMIT');
      return out as T;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      // Lost during COMMIT, it may have committed: never run it twice. Ask the server what became of it.
      if (committing && isConnectionLoss(error)) {
        const fate = xid ? await this.#fateOf(xid) : undefined;
        if (fate === 'committed') return out as T;
        if (fate === 'aborted') throw new RetryableAbort(error);
        throw new AmbiguousCommitError(error);
      }
      throw error;
    } finally {
      client.off('error', ignore);
      client.release(broken);
    }
  }

  /**
   * What became of transaction `xid` after its connection was lost during
   * COMMIT: asked on a new connection (retrying while the server is away).
   * A terminated backend's open transaction is aborted by the server, so
   * "in progress" is only seen for a moment: asked again until it settles.
   */
  async #fateOf(xid: string): Promise<'committed' | 'aborted' | undefined> {
    try {
      for (let delay = 50; ; delay = Math.min(delay * 2, 1_000)) {
        const [row] = await this.query<{ status: string | null }>(
          'SELECT txid_status($1::bigint) AS status',
          [xid],
        );
        const status = row?.status;
        if (status === 'committed' || status === 'aborted') return status;
        if (status !== 'in progress' || this.#closed) return undefined;
        await new Promise((r) => setTimeout(r, delay));
      }
    } catch {
      return undefined; // the server stayed away: the outcome stays unknown
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
    try {
      const client = await this.#connectListener();
      if (fresh) await client.query(`LISTEN ${quoteIdent(channel)}`);
    } catch (error) {
      // Not listening after all: the next call sends LISTEN again.
      set.delete(onPayload);
      if (set.size === 0 && this.#channels.get(channel) === set) this.#channels.delete(channel);
      throw error;
    }
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

/** The connection went away mid-commit and the server says the transaction did not commit: safe to run again. */
class RetryableAbort extends Error {
  constructor(cause: unknown) {
    super('the transaction was aborted when its connection was lost', { cause });
  }
}

/** The connection went away mid-commit: whether the transaction committed is unknown. */
export class AmbiguousCommitError extends Error {
  /** The server is known to be done with it: whether it committed can be looked up now. */
  readonly settled: boolean;

  constructor(cause: unknown, settled = false) {
    super(
      `the database connection was lost while committing: ${String((cause as Error)?.message ?? cause)}`,
      {
        cause,
      },
    );
    this.settled = settled;
  }
}

const CONNECTION_CODES = new Set([
  '57P01', // admin_shutdown (pg_terminate_backend, server shutting down)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up)
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
]);

/** Whether an error means the server or the connection went away (worth trying again). */
export function isConnectionLoss(error: unknown): boolean {
  if (error instanceof AmbiguousCommitError) return false;
  const e = error as { code?: string; message?: string } | undefined;
  if (e?.code && CONNECTION_CODES.has(e.code)) return true;
  return /Connection terminated|connection timeout|Client has encountered a connection error|terminating connection/i.test(
    e?.message ?? '',
  );
}

/** Double-quotes an identifier for SQL. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
