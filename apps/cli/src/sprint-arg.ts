import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { findLatestSprint, type OpenedSprint, openSprint, SprintNotFoundError } from '@sprint/core';
import type { CommandContext } from './cli.js';
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
