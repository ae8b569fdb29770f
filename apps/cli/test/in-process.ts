import { main } from '../src/cli.js';
import type { CliIo } from '../src/io.js';
import { CLI } from './helpers.js';

export interface MainResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI's `main(argv, io)` in this process: the same parser, commands
 * and error mapping as the binary, without the ~1 s a spawn costs on a busy
 * machine. For argument parsing, `--json` documents and exit codes; what
 * needs a process of its own (signals, pipes, a terminal) is tested by spawning.
 */
export async function runMain(
  argv: string[],
  options: { cwd: string; env?: Record<string, string | undefined>; signal?: AbortSignal },
): Promise<MainResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: {
      write(s: string) {
        stdout += s;
        return true;
      },
      isTTY: false,
    },
    stderr: {
      write(s: string) {
        stderr += s;
        return true;
      },
      isTTY: false,
    },
    // Nothing inherited from the test's environment but PATH and HOME.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...options.env },
    cwd: options.cwd,
    signal: options.signal ?? new AbortController().signal,
    onForce: () => () => {},
    kill(pid, signal) {
      try {
        return process.kill(pid, signal);
      } catch {
        return false;
      }
    },
    self: { node: process.execPath, script: CLI, execArgv: [] },
    pid: process.pid,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
