import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { openSprint, plural, SprintLockedError, SprintNotFoundError } from '@sprint/core';
import type { CommandContext } from '../cli.js';
import { databaseUrlOf, openDatabaseStore } from '../database.js';
import { EXIT } from '../exit-codes.js';
import { displayPath } from '../sprint-arg.js';
import { UsageError } from '../usage-error.js';

/**
 * `sprint push <sprint-dir>`: copies a file sprint (a directory or a Markdown
 * document) into the database: its tasks, state, whole event log, context
 * files and last result. The files are left as they are.
 */
export async function pushCommand(ctx: CommandContext, sprintArg: string): Promise<number> {
  const { io } = ctx;
  const url = databaseUrlOf(ctx);
  if (!url) {
    throw new UsageError(
      'push needs a database: give --database-url postgres://... (or pglite:./dir), or set SPRINT_DATABASE_URL.',
      'push',
    );
  }
  const path = resolve(io.cwd, sprintArg);
  let opened: Awaited<ReturnType<typeof openSprint>>;
  try {
    opened = await openSprint(path);
  } catch (error) {
    if (error instanceof SprintNotFoundError) {
      throw new UsageError(error.message, 'push', { cause: error });
    }
    throw error;
  }
  const { store, sprintId } = opened;
  // A run in progress would go on writing to the files after the copy: refuse rather than fork the sprint.
  const held = await store.inspectLock(sprintId);
  if (held?.alive) throw new SprintLockedError(sprintId, held);
  const snapshot = await store.load(sprintId);
  const events = await store.readEvents(sprintId);
  const result = await store.loadResult(sprintId);
  const context = snapshot.sprintDir
    ? await readContextDir(join(snapshot.sprintDir, 'context'))
    : {};
  const db = await openDatabaseStore(ctx, url);
  await db.insertSprint(snapshot.definition, {
    state: snapshot.state,
    events,
    context,
    result,
    projectDir: snapshot.projectDir,
  });
  io.stdout.write(
    `Pushed ${displayPath(io.cwd, path)} to the database as ${sprintId}: ${plural(snapshot.definition.tasks.length, 'task')}, ${plural(events.length, 'event')}, status ${snapshot.state.status}.\n`,
  );
  return EXIT.ok;
}

/** `context/_shared.md` and `context/<task-id>.md`, as the file stores read them. */
async function readContextDir(
  dir: string,
): Promise<{ shared?: string; tasks: Record<string, string> }> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: { shared?: string; tasks: Record<string, string> } = { tasks: {} };
  for (const name of names.filter((n) => n.endsWith('.md')).sort()) {
    const text = await readFile(join(dir, name), 'utf8');
    if (name === '_shared.md') out.shared = text;
    else out.tasks[name.slice(0, -3)] = text;
  }
  return out;
}
