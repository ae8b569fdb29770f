import { countTasks, InvalidSprintError } from '@sprint/core';
import type { CommandContext } from '../cli.js';
import { EXIT } from '../exit-codes.js';
import { displayPath, openSprintArg } from '../sprint-arg.js';

/** `sprint validate`: every check a run makes on the sprint's files, without changing them. */
export async function validateCommand(
  ctx: CommandContext,
  sprintArg: string | undefined,
  options: { json?: boolean },
): Promise<number> {
  const { io } = ctx;
  try {
    const opened = await openSprintArg(ctx, sprintArg, 'validate');
    const snapshot = await opened.store.load(opened.sprintId);
    const counts = countTasks(snapshot.state);
    const shown = displayPath(io.cwd, opened.path);
    if (options.json) {
      io.stdout.write(
        `${JSON.stringify({ valid: true, sprint: opened.path, format: opened.format, tasks: counts.total, issues: [] }, null, 2)}\n`,
      );
    } else {
      io.stdout.write(
        `${shown} is valid: ${opened.format === 'document' ? 'Markdown sprint document' : 'sprint directory'}, ${counts.total} task${counts.total === 1 ? '' : 's'} (${counts.done} done), status ${snapshot.state.status}.\n`,
      );
    }
    return EXIT.ok;
  } catch (error) {
    if (options.json && error instanceof InvalidSprintError) {
      io.stdout.write(`${JSON.stringify({ valid: false, issues: error.issues }, null, 2)}\n`);
      io.stderr.write(`Error: ${error.message}\n`);
      return EXIT.invalidData;
    }
    throw error;
  }
}
