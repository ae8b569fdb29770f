import { basename, dirname, resolve } from 'node:path';
import { escapeControls, importM42Sprint, plural } from '@sprint/core';
import type { CommandContext } from '../cli.js';
import { EXIT } from '../exit-codes.js';
import { withFix } from '../report-error.js';
import { displayPath } from '../sprint-arg.js';
import { UsageError } from '../usage-error.js';

/**
 * `sprint import --from-m42 <dir> [--into <dir>] [--workflows <dir>]`: a new sprint from
 * one in m42's workflow format; the original is not changed.
 */
export async function importM42Command(
  ctx: CommandContext,
  args: string[],
  options: { fromM42: string; into?: string; workflows?: string; json?: boolean },
): Promise<number> {
  const { io } = ctx;
  if (args.length) {
    throw new UsageError(
      `--from-m42 takes no other arguments (got ${args.join(' ')}): sprint import --from-m42 <dir> [--into <dir>] [--workflows <dir>]`,
      'import',
    );
  }
  const source = resolve(io.cwd, options.fromM42);
  const target = options.into
    ? resolve(io.cwd, options.into)
    : resolve(dirname(source), `${basename(source)}-imported`);
  const workflowsDir =
    options.workflows === undefined ? undefined : resolve(io.cwd, options.workflows);
  const result = await importM42Sprint(source, target, { workflowsDir }).catch((error: unknown) => {
    const code = (error as { code?: unknown }).code;
    if (code === 'SPRINT_EXISTS') {
      throw withFix(error, 'choose another place with --into DIR, or remove it');
    }
    if (code === 'WORKFLOW_NOT_FOUND' && workflowsDir === undefined) {
      throw withFix(
        error,
        "name the m42 project's workflows with --workflows DIR (its .claude/workflows), or import from inside that project",
      );
    }
    throw error;
  });
  const shown = displayPath(io.cwd, result.path);
  if (options.json) {
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return EXIT.ok;
  }
  // m42 runs `parallel:` phases in the background: nothing waits for them until a `wait-for-parallel:` phase.
  const order = result.parallel.length
    ? `each after the one before it, except that nothing waits for the parallel: ${plural(result.parallel.length, 'task')} ${result.parallel.join(', ')} until a wait-for-parallel: phase (with --concurrency 2 or more they run beside the others)`
    : 'each after the one before it';
  io.stdout.write(
    [
      `Imported the m42 sprint ${displayPath(io.cwd, source)} (workflow ${escapeControls(result.workflow)}) as ${shown}:`,
      `  ${plural(result.tasks, 'task')}, ${result.done} already done, ${order}${result.workflowsDir ? ` (no compiled PROGRESS.yaml: phases compiled from ${displayPath(io.cwd, result.workflowsDir)} as m42 does)` : ''}.`,
      ...(result.breaks.length
        ? [
            `  The run pauses after ${result.breaks.join(', ')} (m42 break:) for a review; sprint resume ${shown} goes on.`,
          ]
        : []),
      `  Preview: sprint run ${shown} --dry-run`,
      '',
    ].join('\n'),
  );
  return EXIT.ok;
}
