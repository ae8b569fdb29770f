#!/usr/bin/env node
/**
 * The `sprint` executable: the only file that reads `process.argv`, touches
 * the real streams and signals, and exits. Everything else gets a `CliIo`.
 */
import module from 'node:module';

// Reuse V8's compiled code between runs: `sprint status` starts about twice as fast.
module.enableCompileCache?.();

import { EXIT, type ForceHandler } from './exit-codes.js';

const argv = process.argv.slice(2);

if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  // The fast path: no argument parser, no core.
  const { version } = await import('./version.js');
  process.stdout.write(`${version}\n`);
  process.exit(EXIT.ok);
}

const controller = new AbortController();
const forceHandlers = new Set<ForceHandler>();
let interrupts = 0;

const onInterrupt = (signal: NodeJS.Signals) => {
  interrupts++;
  if (interrupts === 1 && !controller.signal.aborted) {
    // First Ctrl-C: stop the running agent and leave the sprint resumable.
    controller.abort(new Error(`interrupted by ${signal}`));
    // Only a command that runs the sprint stops anything; watching or following just ends.
    if (argv[0] === 'run' || argv[0] === 'resume') {
      process.stderr.write(
        `\n${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping; the sprint stays resumable (press Ctrl-C again to force)...\n`,
      );
    }
    return;
  }
  // Second: kill what we started and leave at once.
  for (const force of forceHandlers) {
    try {
      force();
    } catch {
      // Best effort: we are leaving anyway.
    }
  }
  process.stderr.write('Forced exit.\n');
  process.exit(EXIT.interrupted);
};
process.on('SIGINT', onInterrupt);
process.on('SIGTERM', onInterrupt);

const { main } = await import('./cli.js');
const code = await main(argv, {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
  onForce(handler) {
    forceHandlers.add(handler);
    return () => forceHandlers.delete(handler);
  },
  kill(pid, signal) {
    try {
      return process.kill(pid, signal);
    } catch {
      return false;
    }
  },
  self: { node: process.execPath, script: process.argv[1] ?? '', execArgv: process.execArgv },
  pid: process.pid,
});
process.exit(code);
