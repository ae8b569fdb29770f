import type { CommandContext } from './cli.js';
import type { CliIo } from './io.js';

/**
 * `sprint status [<sprint>] [--json]` as plain arguments: the commonest read,
 * which then starts without the argument parser. Anything else (`--help`,
 * `--watch`, `--database-url`, an unknown flag) returns undefined and goes
 * through it, so its messages and checks stay the parser's.
 */
function plainStatus(argv: string[]): { sprint?: string; json: boolean } | undefined {
  if (argv[0] !== 'status' || argv.length > 3) return undefined;
  let sprint: string | undefined;
  let json = false;
  for (const arg of argv.slice(1)) {
    if (arg === '--json' && !json) json = true;
    else if (!arg.startsWith('-') && sprint === undefined) sprint = arg;
    else return undefined;
  }
  return { sprint, json };
}

/**
 * Runs the CLI on the given arguments (without `node` and the script) and
 * returns the exit code. Never throws: the one catch at the boundary maps
 * every error to an exit code and a message. The argument parser (commander,
 * and the Node modules it loads, `child_process` among them) costs about as
 * much start-up time as `node` itself, so a plain `sprint status` skips it.
 */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const ctx: CommandContext = { io, cleanups: [] };
  try {
    const status = plainStatus(argv);
    if (status) {
      const { statusCommand } = await import('./commands/status.js');
      return await statusCommand(ctx, status.sprint, { json: status.json });
    }
    const { runProgram } = await import('./cli.js');
    return await runProgram(argv, ctx);
  } catch (error) {
    const { reportError } = await import('./report-error.js');
    return reportError(error, io, argv.includes('--json'), !argv.includes('--from-m42'));
  } finally {
    for (const cleanup of ctx.cleanups.splice(0)) await cleanup().catch(() => undefined);
  }
}
