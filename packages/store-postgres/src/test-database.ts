import { randomBytes } from 'node:crypto';
import { openDatabase } from './connect.js';
import type { Database } from './db.js';
import { quoteIdent } from './pg-database.js';
import type { PostgresStore } from './postgres-store.js';

/**
 * For tests: the databases to run against. PGlite always; the PostgreSQL
 * server too when `SPRINT_TEST_DATABASE_URL` is set (and then it must be
 * reachable: a test given a server it cannot reach fails, never skips).
 */
export function testDatabases(): { name: string; url: string }[] {
  const out = [{ name: 'PGlite', url: 'pglite:memory' }];
  const server = process.env.SPRINT_TEST_DATABASE_URL;
  if (server) out.push({ name: 'PostgreSQL', url: server });
  return out;
}

/** A schema name no other test run uses, so parallel suites never collide. */
export function uniqueSchema(prefix = 't'): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** Opens the database and returns it with a cleanup that drops `schema` (servers) and closes it. */
export async function openTestDatabase(
  url: string,
  schema: string,
): Promise<{ db: Database; cleanup: () => Promise<void> }> {
  if (url === 'pglite:memory') {
    // Starting PGlite (initdb in WASM) takes seconds on a busy machine: one per test file, a schema per test.
    sharedPglite ??= openDatabase(url);
    const db = await sharedPglite;
    return {
      db,
      cleanup: async () => {
        await db.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
      },
    };
  }
  const db = await openDatabase(url);
  return {
    db,
    cleanup: async () => {
      await db.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`).catch(() => undefined);
      await db.close();
    },
  };
}

let sharedPglite: Promise<Database> | undefined;

/** Starts the shared PGlite ahead of the tests (call from `beforeAll` with a long timeout). */
export async function startSharedPglite(): Promise<void> {
  sharedPglite ??= openDatabase('pglite:memory');
  await sharedPglite;
}

/**
 * Sets columns of one worker's row by hand (`sql` is the SET list; `$2`... are
 * `params`): what a worker killed with -9 or gone elsewhere leaves behind.
 */
export function workerRowSetter(store: PostgresStore) {
  return (worker: string, sql: string, params: unknown[] = []) =>
    store.db.query(`UPDATE ${store.table('workers')} SET ${sql} WHERE name = $1`, [
      worker,
      ...params,
    ]);
}
