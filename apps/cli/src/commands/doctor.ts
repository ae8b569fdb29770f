import { diagnoseAgents, escapeControlsDeep } from '@sprint/core';
import type { CommandContext } from '../cli.js';
import { EXIT } from '../exit-codes.js';

/**
 * `sprint doctor`: which agent CLIs are installed, their versions, whether
 * credentials are present and how each runs unattended here, without
 * spending tokens. Exit 0 when at least one agent is ready, else 1.
 */
export async function doctorCommand(
  ctx: CommandContext,
  options: { json?: boolean },
): Promise<number> {
  const { io } = ctx;
  const report = await diagnoseAgents({ env: io.env as NodeJS.ProcessEnv });
  const ready = report.some((r) => r.status === 'ready');
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ ready, agents: report }, null, 2)}\n`);
    return ready ? EXIT.ok : EXIT.failed;
  }
  // Versions and notes quote what the agent CLIs printed: control characters in them are shown.
  for (const r of escapeControlsDeep(report)) {
    const mark = r.status === 'ready' ? 'ok  ' : r.status === 'missing' ? 'MISS' : 'WARN';
    io.stdout.write(
      `${mark} ${r.name.padEnd(8)} ${r.version ?? '(not installed)'}  [${r.binary}]\n`,
    );
    for (const note of r.notes) io.stdout.write(`       ${note}\n`);
    for (const advice of r.advice) io.stdout.write(`       -> ${advice}\n`);
  }
  io.stdout.write(
    ready
      ? 'At least one agent is ready. The built-in noop and shell agents need nothing.\n'
      : 'No agent CLI is ready: install one and give it credentials (the noop and shell agents still work).\n',
  );
  return ready ? EXIT.ok : EXIT.failed;
}
