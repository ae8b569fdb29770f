import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AGENT_NAMES, parseTasksFile, plural } from '@sprint/core';
import type { CommandContext } from '../cli.js';
import { EXIT } from '../exit-codes.js';
import { displayPath, openSprintArg } from '../sprint-arg.js';
import { UsageError } from '../usage-error.js';

/** `sprint import [<sprint>] <tasks.yaml>`: adds the file's tasks, skipping ids already present. */
export async function importCommand(ctx: CommandContext, args: string[]): Promise<number> {
  const { io } = ctx;
  if (args.length > 2)
    throw new UsageError(`Too many arguments: ${args.slice(2).join(' ')}`, 'import');
  const [sprintArg, file] = args.length === 2 ? args : [undefined, args[0]!];
  const path = resolve(io.cwd, file!);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read ${file}: ${(error as Error).message}`, 'import', {
      cause: error,
    });
  }
  const tasks = parseTasksFile(text, path, { agents: AGENT_NAMES });
  const opened = await openSprintArg(ctx, sprintArg, 'import');
  const { added, skipped } = await opened.store.addTasks(opened.sprintId, tasks);
  const shown = displayPath(io.cwd, opened.path);
  io.stdout.write(
    `Imported ${plural(added.length, 'task')} into ${shown}${added.length ? `: ${idList(added)}` : ''}\n`,
  );
  if (skipped.length) {
    io.stdout.write(`Skipped ${skipped.length} already present: ${idList(skipped)}\n`);
  }
  return EXIT.ok;
}

/** Up to this many ids are listed in full; more are the first ones and a count. */
const FULL_LIST = 30;
const SHOWN_IDS = 20;

/**
 * The ids, or past a few dozen the first ones and how many more: 2,000 ids on one line
 * (~14 KB) is more than anyone reads; PROGRESS.yaml has every one.
 */
function idList(ids: readonly string[]): string {
  if (ids.length <= FULL_LIST) return ids.join(', ');
  const rest = ids.length - SHOWN_IDS;
  return `${ids.slice(0, SHOWN_IDS).join(', ')} and ${rest.toLocaleString('en-US')} more`;
}
