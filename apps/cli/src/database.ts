import type { PostgresStore } from '@sprint/store-postgres';
import type { CommandContext } from './cli.js';

/** The sprint database the command should use: `--database-url`, else `SPRINT_DATABASE_URL`, else none. */
export function databaseUrlOf(ctx: CommandContext): string | undefined {
  const url = ctx.databaseUrl ?? ctx.io.env.SPRINT_DATABASE_URL;
  return url?.trim() ? url.trim() : undefined;
}

/**
 * Opens the sprint database (migrating its schema) once per command, loading
 * the driver only now so that file sprints never pay for it. The connection
 * is closed when the command ends (`ctx.cleanups`).
 */
export async function openDatabaseStore(ctx: CommandContext, url: string): Promise<PostgresStore> {
  const { openDatabase, PostgresStore } = await import('@sprint/store-postgres');
  const db = await openDatabase(url);
  ctx.cleanups.push(() => db.close());
  const store = await PostgresStore.open({
    db,
    schema: ctx.io.env.SPRINT_DATABASE_SCHEMA || undefined,
    projectDir: ctx.io.cwd,
  });
  ctx.cleanups.unshift(() => store.close());
  return store;
}
