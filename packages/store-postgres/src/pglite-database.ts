import type { PGlite } from '@electric-sql/pglite';
import type { Database, Queryable } from './db.js';

/**
 * Embedded PostgreSQL (PGlite, WASM) in this process: in memory, or in a
 * directory on disk that one process opens at a time.
 */
export class PgliteDatabase implements Database {
  readonly kind = 'pglite' as const;
  readonly pglite: PGlite;

  constructor(pglite: PGlite) {
    this.pglite = pglite;
  }

  /** Opens PGlite in `dataDir` (created when missing), or in memory without one. */
  static async open(dataDir?: string): Promise<PgliteDatabase> {
    const { PGlite } = await import('@electric-sql/pglite');
    const db = dataDir ? await PGlite.create(dataDir) : await PGlite.create();
    return new PgliteDatabase(db);
  }

  async query<T>(text: string, params?: unknown[]): Promise<T[]> {
    return (await this.pglite.query<T>(text, params)).rows;
  }

  /** In process: there is no connection to lose. */
  queryOnce<T>(text: string, params?: unknown[]): Promise<T[]> {
    return this.query<T>(text, params);
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.pglite.transaction(async (t) =>
      fn({
        query: async <R>(text: string, params?: unknown[]) => (await t.query<R>(text, params)).rows,
      }),
    );
  }

  async listen(
    channel: string,
    onPayload: (payload: string) => void,
  ): Promise<() => Promise<void>> {
    return this.pglite.listen(channel, onPayload);
  }

  async close(): Promise<void> {
    await this.pglite.close();
  }
}
