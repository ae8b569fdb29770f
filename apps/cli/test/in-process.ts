import type { CliIo } from '../src/io.js';
import { main } from '../src/main.js';
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
  options: {
    cwd: string;
    env?: Record<string, string | undefined>;
    /** Cleared environment: only `env` (and NO_COLOR). Accepted for symmetry with runCli. */
    cleanEnv?: boolean;
    /** Aborts the command (as the first Ctrl-C would) and fails the test after this long. */
    timeoutMs?: number;
    /** Called with all of stdout so far after each write, to act on what the command printed. */
    onStdout?: (stdout: string) => void;
  },
): Promise<MainResult> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('timed out'));
  }, options.timeoutMs ?? 60_000);
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: {
      write(s: string) {
        stdout += s;
        options.onStdout?.(stdout);
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
    signal: controller.signal,
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
  try {
    const code = await main(argv, io);
    if (timedOut) {
      throw new Error(
        `sprint ${argv.join(' ')} did not end in ${options.timeoutMs} ms\n${stdout}\n${stderr}`,
      );
    }
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}
