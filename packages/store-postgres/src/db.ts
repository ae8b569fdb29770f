/** One statement's rows. */
type Rows<T> = T[];

/** What the store needs of a connection: queries, one transaction at a time, and notifications. */
export interface Queryable {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Rows<T>>;
}

/**
 * A PostgreSQL database, served (`pg`) or embedded (PGlite), as the store
 * uses it. Both run the same SQL: PGlite is PostgreSQL compiled to WASM.
 */
export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /**
   * One statement in a transaction of its own, never run twice: when the
   * connection is lost while it runs, it throws `AmbiguousCommitError`, after
   * waiting (when it can) until the server is done with it (`settled`), so
   * the caller can look up whether it took effect.
   */
  queryOnce<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<Rows<T>>;
  /** Runs `fn` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Calls `onPayload` for each NOTIFY on `channel`; resolves to the unsubscribe function. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
