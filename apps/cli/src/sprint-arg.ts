import { relative, resolve } from 'node:path';
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
 * Opens the sprint a command names, or the most recently created one under
 * `.claude/sprints/` (said on stderr). A sprint that is not where the user
 * said is a usage error (exit 64, with core's message naming what is
 * missing); invalid contents stay `InvalidSprintError` (exit 65).
 */
export async function openSprintArg(
  ctx: CommandContext,
  arg: string | undefined,
  command: string,
): Promise<OpenedSprint> {
  const { io } = ctx;
  let path: string;
  if (arg === undefined || arg === '') {
    const latest = await findLatestSprint(resolve(io.cwd, DEFAULT_SPRINTS_DIR));
    if (!latest) {
      throw new UsageError(
        `Sprint directory path is required: none was given and there is no sprint under ${DEFAULT_SPRINTS_DIR}/.`,
        command,
      );
    }
    path = latest;
    io.stderr.write(
      `Using sprint ${displayPath(io.cwd, path)} (the most recently created under ${DEFAULT_SPRINTS_DIR}/)\n`,
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
