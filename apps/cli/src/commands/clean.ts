import { cleanSprint } from '@sprint/core';
import type { CommandContext } from '../cli.js';
import { EXIT } from '../exit-codes.js';
import { openSprintArg } from '../sprint-arg.js';

/**
 * `sprint clean [<sprint>]`: removes the git worktrees and branches the
 * sprint's tasks made (kept ones of blocked tasks included), recording each
 * task worktree that went. Refuses while a run holds the sprint, since its
 * worktrees are in use.
 */
export async function cleanCommand(
  ctx: CommandContext,
  sprintArg: string | undefined,
  options: { json?: boolean },
): Promise<number> {
  const { io } = ctx;
  const opened = await openSprintArg(ctx, sprintArg, 'clean');
  const result = await cleanSprint({ store: opened.store, sprintId: opened.sprintId });
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ sprint: opened.sprintId, ...result }, null, 2)}\n`);
    return EXIT.ok;
  }
  if (!result.inGit) {
    io.stdout.write(
      `The project is not a git repository: sprint ${opened.sprintId} made no worktrees.\n`,
    );
  } else if (result.removed.length === 0 && !result.folder) {
    io.stdout.write(`Nothing to clean: sprint ${opened.sprintId} has no worktrees or branches.\n`);
  } else {
    if (result.removed.length) {
      io.stdout.write(
        `Removed ${result.removed.length} worktree(s)/branch(es) of sprint ${opened.sprintId}:\n${result.removed.map((r) => `  ${r}`).join('\n')}\n`,
      );
    }
    if (result.folder) {
      io.stdout.write(
        `Removed the sprint's worktree folder ${result.folder} (with meta.json: the branch its work lands on and where it began; a later run records them anew).\n`,
      );
    }
  }
  return EXIT.ok;
}
