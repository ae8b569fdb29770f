import type { ForceHandler } from './exit-codes.js';

/** A stream the CLI writes to; `isTTY` and `columns` decide how it looks. */
export interface OutStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

/**
 * The outside world as the entry file hands it to a command: streams,
 * environment, the interrupt signal. Commands never touch `process`.
 */
export interface CliIo {
  stdout: OutStream;
  stderr: OutStream;
  env: Record<string, string | undefined>;
  cwd: string;
  /**
   * Aborted on the first Ctrl-C (or SIGTERM, or SIGHUP when the terminal
   * closes: the reason's `signal` names it), or when the output's reader went away.
   */
  signal: AbortSignal;
  /** Registers what the second Ctrl-C must do before the process leaves. */
  onForce(handler: ForceHandler): () => void;
  /** Sends a signal to a process (a negative pid: its whole group); false when it is gone. */
  kill(pid: number, signal: NodeJS.Signals): boolean;
  /** How to start this same CLI again (for `run --detach`). */
  self: { node: string; script: string; execArgv: string[] };
  pid: number;
}

/**
 * Colour only on a terminal and never when NO_COLOR is set
 * (https://no-color.org); FORCE_COLOR decides first, as in Node and chalk:
 * `0` or `false` turns colour off, any other value on, even through a pipe.
 */
export function colorEnabled(stream: OutStream, env: CliIo['env']): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}
