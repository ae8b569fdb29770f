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
    `Imported ${plural(added.length, 'task')} into ${shown}${added.length ? `: ${added.join(', ')}` : ''}\n`,
  );
  if (skipped.length) {
    io.stdout.write(`Skipped ${skipped.length} already present: ${skipped.join(', ')}\n`);
  }
  return EXIT.ok;
}
