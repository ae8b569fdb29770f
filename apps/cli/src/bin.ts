#!/usr/bin/env node
/**
 * The `sprint` executable: the only file that reads `process.argv`, touches
 * the real streams and signals, and exits. Everything else gets a `CliIo`.
 */
import module from 'node:module';

// Reuse V8's compiled code between runs: `sprint status` starts about twice as fast.
module.enableCompileCache?.();

import { EXIT, exitCodeOnEnd, type ForceHandler } from './exit-codes.js';
import { guardStream } from './stream-guard.js';

const argv = process.argv.slice(2);
// FORCE_COLOR decides first (see colorEnabled), as in Node, which says so with a warning on
// stderr in every Node process that sees NO_COLOR beside it: this one and its children (agents,
// a background run). NO_COLOR is ignored then anyway: drop it.
if (process.env.FORCE_COLOR !== undefined) delete process.env.NO_COLOR;

if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  // The fast path: no argument parser, no core.
  const { version } = await import('./version.js');
  process.stdout.write(`${version}\n`);
  process.exit(EXIT.ok);
}

const controller = new AbortController();
const forceHandlers = new Set<ForceHandler>();
let interrupts = 0;
/** Why the process ends early, when it is not the command's own result. */
let endedBy: 'hangup' | 'reader-gone' | undefined;

// When the reader goes away (`sprint logs | head -1`, a closed terminal), stop
// quietly: no EPIPE stack trace, no agent left running, the sprint resumable.
const onReaderGone = () => {
  endedBy ??= 'reader-gone';
  if (!controller.signal.aborted) controller.abort(new Error('the output reader went away'));
};
const stdout = guardStream(process.stdout, onReaderGone);
const stderr = guardStream(process.stderr, onReaderGone);

const onInterrupt = (signal: NodeJS.Signals) => {
  interrupts++;
  if (signal === 'SIGHUP') endedBy ??= 'hangup';
  if (interrupts === 1 && !controller.signal.aborted) {
    // First Ctrl-C (or a closed terminal): stop the running agent and leave the
    // sprint resumable. A run says so itself, where its live view keeps the line.
    controller.abort(Object.assign(new Error(`interrupted by ${signal}`), { signal }));
    return;
  }
  // A closed terminal sends SIGHUP and often SIGCONT/SIGTERM after it: only a person's second Ctrl-C forces.
  if (signal === 'SIGHUP') return;
  // Second: kill what we started and leave at once.
  for (const force of forceHandlers) {
    try {
      force();
    } catch {
      // Best effort: we are leaving anyway.
    }
  }
  stderr.write('Forced exit.\n');
  process.exit(endedBy === 'hangup' ? EXIT.hangup : EXIT.interrupted);
};
process.on('SIGINT', onInterrupt);
process.on('SIGTERM', onInterrupt);
// Closing the terminal of a foreground run must not leave its agent unsupervised.
process.on('SIGHUP', onInterrupt);

const { main } = await import('./main.js');
const code = await main(argv, {
  stdout,
  stderr,
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
// What the command wrote is still queued when a pipe's reader is slower than we are (`sprint
// status --json | jq`: a pipe holds 64 KiB): exiting now would cut it off. Wait until both
// streams have handed it all to the reader, or the reader has gone.
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(exitCodeOnEnd(code, endedBy));

/** Resolves once everything written to `stream` before now is written out (or cannot be). */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || stream.writableLength === 0) return Promise.resolve();
  // Writes go out in order: the callback of an empty one runs after every earlier one.
  return new Promise((resolve) => stream.write('', () => resolve()));
}
