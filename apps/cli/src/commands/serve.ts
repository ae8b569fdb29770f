import type { CommandContext } from '../cli.js';
import { UsageError } from '../usage-error.js';

/** `sprint serve`: placeholder until @sprint/api lands. */
export async function serveCommand(
  _ctx: CommandContext,
  _options: { port: number; host: string; root: string },
): Promise<number> {
  throw new UsageError('sprint serve is not available in this build.', 'serve');
}
