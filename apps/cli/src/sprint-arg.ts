import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { findLatestSprint, type OpenedSprint, openSprint, SprintNotFoundError } from '@sprint/core';
import type { CommandContext } from './cli.js';
import { databaseUrlOf, openDatabaseStore } from './database.js';
import { DEFAULT_SPRINTS_DIR } from './usage.js';
import { UsageError } from './usage-error.js';

export type { OpenedSprint };

/** How a path is shown: relative to where the user stands when it is inside it. */
export function displayPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && rel.length < path.length ? rel : path;
}

/**
 * The `.claude/sprints` directory nearest to `cwd`: in it, or else in the
 * closest parent that has one (up to the filesystem root); null when none does.
 */
export function findSprintsDir(cwd: string): string | null {
  for (let dir = resolve(cwd); ; ) {
    const candidate = join(dir, DEFAULT_SPRINTS_DIR);
    if (isDirectory(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function isDirectory(path: string): boolean {
  try {
    return existsSync(path) && statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Opens the sprint a command names, or the most recently created one under
 * the nearest `.claude/sprints/` (here or in a parent directory; said on
 * stderr). A sprint that is not where the user said is a usage error (exit
 * 64, with core's message naming what is missing); invalid contents stay
 * `InvalidSprintError` (exit 65).
 */
export async function openSprintArg(
  ctx: CommandContext,
  arg: string | undefined,
  command: string,
): Promise<OpenedSprint> {
  const { io } = ctx;
  const url = databaseUrlOf(ctx);
  if (url) return openDatabaseSprint(ctx, url, arg, command);
  let path: string;
  if (arg === undefined || arg === '') {
    const sprintsDir = findSprintsDir(io.cwd);
    const latest = sprintsDir ? await findLatestSprint(sprintsDir) : null;
    if (!sprintsDir || !latest) {
      throw new UsageError(
        sprintsDir
          ? `Sprint directory path is required: none was given and there is no sprint under ${displayPath(io.cwd, sprintsDir)}/.`
          : `Sprint directory path is required: none was given and there is no ${DEFAULT_SPRINTS_DIR}/ here or in any parent directory.`,
        command,
      );
    }
    path = latest;
    io.stderr.write(
      `Using sprint ${displayPath(io.cwd, path)} (the most recently created under ${displayPath(io.cwd, sprintsDir)}/)\n`,
    );
  } else {
    path = resolve(io.cwd, arg);
  }
  try {
    return await openSprint(path);
  } catch (error) {
    if (error instanceof SprintNotFoundError) {
      throw new UsageError(error.message, command, { cause: error });
    }
    throw error;
  }
}

/**
 * A sprint in the database, by id; without one, the most recently created
 * there (said on stderr). An unknown id is a usage error naming the ids there are.
 */
async function openDatabaseSprint(
  ctx: CommandContext,
  url: string,
  arg: string | undefined,
  command: string,
): Promise<OpenedSprint> {
  const store = await openDatabaseStore(ctx, url);
  let sprintId = arg;
  if (sprintId === undefined || sprintId === '') {
    const all = await store.list();
    const latest = all.sort((a, b) => (b.created ?? b.id).localeCompare(a.created ?? a.id))[0];
    if (!latest) {
      throw new UsageError(
        'A sprint id is required: none was given and the database holds no sprint yet (sprint init <name> or sprint push <dir>).',
        command,
      );
    }
    sprintId = latest.id;
    ctx.io.stderr.write(`Using sprint ${sprintId} (the most recently created in the database)\n`);
  }
  try {
    await store.load(sprintId);
  } catch (error) {
    if (error instanceof SprintNotFoundError) {
      const ids = (await store.list()).map((s) => s.id);
      throw new UsageError(
        `No sprint ${sprintId} in the database${ids.length ? ` (it holds: ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', ...' : ''})` : ' (it holds none)'}.`,
        command,
        { cause: error },
      );
    }
    throw error;
  }
  return { store, sprintId, format: 'database', path: sprintId };
}
