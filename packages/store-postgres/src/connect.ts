import { SprintError } from '@sprint/core';
import type { Database } from './db.js';
import { PgDatabase } from './pg-database.js';
import { PgliteDatabase } from './pglite-database.js';

/**
 * Opens the database a URL names:
 * - `postgres://user@host:port/db` (or `postgresql://`): a PostgreSQL server;
 * - `pglite:./some/dir`: embedded PGlite keeping its data in that directory;
 * - `pglite:memory`: embedded PGlite in memory, gone when the process ends.
 *
 * Checks the connection at once, so a wrong URL fails here with
 * `DATABASE_UNAVAILABLE` and a message saying what to check.
 */
export async function openDatabase(url: string): Promise<Database> {
  if (url.startsWith('pglite:')) {
    const dir = url.slice('pglite:'.length);
    try {
      return await PgliteDatabase.open(dir === 'memory' || dir === '' ? undefined : dir);
    } catch (error) {
      throw new SprintError(
        'DATABASE_UNAVAILABLE',
        `Could not open the embedded database in ${dir}: ${(error as Error).message}. One process at a time can open a PGlite directory; use a PostgreSQL server for several.`,
        { cause: error },
      );
    }
  }
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new SprintError(
      'DATABASE_UNAVAILABLE',
      `Not a database URL: ${redactUrl(url)} (fix: use postgres://user@host:5432/db, or pglite:./dir for the embedded database)`,
    );
  }
  const db = new PgDatabase(url);
  try {
    // Not retried: at the first contact a refused connection is a wrong URL or a stopped server.
    await db.ping();
  } catch (error) {
    await db.close().catch(() => undefined);
    throw new SprintError(
      'DATABASE_UNAVAILABLE',
      `Could not reach the database at ${redactUrl(url)}: ${(error as Error).message} (fix: check that the server runs and the URL's host, port, user and database)`,
      { cause: error },
    );
  }
  return db;
}

/** The URL with any password replaced, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}
