import { retryTask, skipTask } from '@sprint/core';
import type { CommandContext } from '../cli.js';
import { EXIT } from '../exit-codes.js';
import { whoAmI } from '../requester.js';
import { displayPath, openSprintArg } from '../sprint-arg.js';
import { UsageError } from '../usage-error.js';

/**
 * `sprint skip <sprint> <task> --reason` and `sprint retry <sprint> <task>`:
 * core's `skipTask` / `retryTask`, while no run holds the sprint.
 */
export async function taskControlCommand(
  ctx: CommandContext,
  sprintArg: string,
  taskId: string,
  action: 'skip' | 'retry',
  options: { reason?: string; json?: boolean },
): Promise<number> {
  const { io } = ctx;
  const reason = options.reason?.trim() ?? '';
  if (action === 'skip' && !reason) {
    throw new UsageError(
      'A reason is required: say why the task is skipped with --reason "...".',
      'skip',
    );
  }
  const opened = await openSprintArg(ctx, sprintArg, action);
  const requestedBy = whoAmI(io.env);
  const change =
    action === 'skip'
      ? await skipTask(opened.store, opened.sprintId, taskId, { requestedBy, reason })
      : await retryTask(opened.store, opened.sprintId, taskId, { requestedBy });
  if (options.json) {
    const { event, ...rest } = change;
    io.stdout.write(
      `${JSON.stringify({ sprintId: opened.sprintId, ...rest, reason: event.type === 'task-status' ? event.reason : undefined, requestedBy }, null, 2)}\n`,
    );
    return EXIT.ok;
  }
  const shown = displayPath(io.cwd, opened.path);
  io.stdout.write(
    action === 'skip'
      ? `Task ${taskId} skipped (was ${change.from}): ${reason}. Its dependents may run. Undo: sprint retry ${shown} ${taskId}\n`
      : `Task ${taskId} is pending again (was ${change.from}); it runs on the next run: sprint resume ${shown}\n`,
  );
  return EXIT.ok;
}
