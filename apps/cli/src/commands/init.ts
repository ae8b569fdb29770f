import { join, resolve } from 'node:path';
import { SprintDirectoryStore } from '@sprint/core';
import type { CommandContext } from '../cli.js';
import { databaseUrlOf, openDatabaseStore } from '../database.js';
import { EXIT } from '../exit-codes.js';
import { displayPath, findSprintsDir } from '../sprint-arg.js';
import { DEFAULT_SPRINTS_DIR } from '../usage.js';
import { UsageError } from '../usage-error.js';

/** `sprint init <name>`: a new sprint directory in the original plugin's layout. */
export async function initCommand(
  ctx: CommandContext,
  name: string,
  options: { dir: string; goal?: string[] },
): Promise<number> {
  const { io } = ctx;
  if (!/[A-Za-z0-9]/.test(name)) {
    throw new UsageError(
      `The sprint name needs at least one letter or digit (got "${name}").`,
      'init',
    );
  }
  const url = databaseUrlOf(ctx);
  if (url) {
    const store = await openDatabaseStore(ctx, url);
    const id = await store.create({ name, goals: options.goal });
    io.stdout.write(
      [
        `Created sprint ${id} in the database`,
        '',
        'Next:',
        `  sprint add ${id} custom --description "..." --done-when "..."`,
        `  sprint run ${id} --dry-run`,
        '',
      ].join('\n'),
    );
    return EXIT.ok;
  }
  // Like every other command: the nearest existing .claude/sprints (here or above) unless --dir says.
  const root =
    options.dir === DEFAULT_SPRINTS_DIR
      ? (findSprintsDir(io.cwd) ?? resolve(io.cwd, options.dir))
      : resolve(io.cwd, options.dir);
  const store = new SprintDirectoryStore({ root });
  const id = await store.create({ name, goals: options.goal });
  const shown = displayPath(io.cwd, join(root, id));
  io.stdout.write(
    [
      `Created sprint ${shown}`,
      `  SPRINT.yaml, PROGRESS.yaml, context/, artifacts/`,
      '',
      'Next:',
      `  sprint add ${shown} custom --description "..." --done-when "..."`,
      `  sprint run ${shown} --dry-run`,
      '',
    ].join('\n'),
  );
  return EXIT.ok;
}
