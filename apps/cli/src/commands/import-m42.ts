import { basename, dirname, resolve } from 'node:path';
import { importM42Sprint, plural } from '@sprint/core';
import type { CommandContext } from '../cli.js';
import { EXIT } from '../exit-codes.js';
import { withFix } from '../report-error.js';
import { displayPath } from '../sprint-arg.js';
import { UsageError } from '../usage-error.js';

/**
 * `sprint import --from-m42 <dir> [--into <dir>]`: a new sprint from one in
 * m42's workflow format; the original is not changed.
 */
export async function importM42Command(
  ctx: CommandContext,
  args: string[],
  options: { fromM42: string; into?: string; json?: boolean },
): Promise<number> {
  const { io } = ctx;
  if (args.length) {
    throw new UsageError(
      `--from-m42 takes no other arguments (got ${args.join(' ')}): sprint import --from-m42 <dir> [--into <dir>]`,
      'import',
    );
  }
  const source = resolve(io.cwd, options.fromM42);
  const target = options.into
    ? resolve(io.cwd, options.into)
    : resolve(dirname(source), `${basename(source)}-imported`);
  const result = await importM42Sprint(source, target).catch((error: unknown) => {
    throw (error as { code?: unknown }).code === 'SPRINT_EXISTS'
      ? withFix(error, 'choose another place with --into DIR, or remove it')
      : error;
  });
  const shown = displayPath(io.cwd, result.path);
  if (options.json) {
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return EXIT.ok;
  }
  io.stdout.write(
    [
      `Imported the m42 sprint ${displayPath(io.cwd, source)} (workflow ${result.workflow}) as ${shown}:`,
      `  ${plural(result.tasks, 'task')}, ${result.done} already done, each after the one before it${result.workflowsDir ? ` (no compiled PROGRESS.yaml: phases compiled from ${displayPath(io.cwd, result.workflowsDir)} as m42 does)` : ''}.`,
      `  Preview: sprint run ${shown} --dry-run`,
      '',
    ].join('\n'),
  );
  return EXIT.ok;
}
