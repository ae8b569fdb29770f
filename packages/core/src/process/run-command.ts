import { spawn } from 'node:child_process';
import { agentEnvironment } from './agent-env.js';
import { endMarkedProcesses, RUN_MARKER_ENV } from './process-tree.js';

export interface CommandResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Which of exit, timeout, cancel or signal ended it. */
  endedBy: 'exit' | 'timeout' | 'cancel' | 'signal' | 'spawn-error';
  /** The last lines of stdout and stderr together, in arrival order. */
  tail: string;
  durationMs: number;
  error?: string;
}

export interface RunCommandOptions {
  cwd: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Each output line as it arrives. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  onSpawn?: (pid: number) => void;
  tailLines?: number;
  /** SIGTERM, then SIGKILL after this long (default 3 s). */
  graceMs?: number;
  /**
   * The attempt's run marker: set in the command's environment, and on abort
   * or time limit every process carrying it ends with the command's group.
   */
  marker?: string;
}

/**
 * Runs a shell command in its own process group. On abort or time limit the
 * whole group (and every process carrying `marker`) gets SIGTERM, then
 * SIGKILL after a grace period, so nothing it started outlives it.
 */
export function runCommand(command: string, options: RunCommandOptions): Promise<CommandResult> {
  const started = Date.now();
  const tailLines = options.tailLines ?? 40;
  const tail: string[] = [];
  return new Promise((resolve) => {
    let endedBy: CommandResult['endedBy'] = 'exit';
    let timer: NodeJS.Timeout | undefined;
    const child = spawn('/bin/sh', ['-c', command], {
      cwd: options.cwd,
      env: {
        ...(options.env ?? agentEnvironment()),
        ...(options.marker ? { [RUN_MARKER_ENV]: options.marker } : {}),
      },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stop = (why: 'timeout' | 'cancel') => {
      if (endedBy !== 'exit') return;
      endedBy = why;
      if (child.pid) {
        void endMarkedProcesses(options.marker, [child.pid], options.graceMs ?? 3000);
      }
    };
    const onAbort = () => stop('cancel');
    const finish = (result: Omit<CommandResult, 'tail' | 'durationMs'>) => {
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ ...result, tail: tail.join('\n'), durationMs: Date.now() - started });
    };
    for (const stream of ['stdout', 'stderr'] as const) {
      let pending = '';
      child[stream].setEncoding('utf8');
      child[stream].on('data', (chunk: string) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          tail.push(line);
          if (tail.length > tailLines) tail.shift();
          options.onLine?.(line, stream);
        }
      });
      child[stream].on('end', () => {
        if (pending) {
          tail.push(pending);
          if (tail.length > tailLines) tail.shift();
          options.onLine?.(pending, stream);
          pending = '';
        }
      });
    }
    child.on('error', (error) => {
      finish({ exitCode: null, signal: null, endedBy: 'spawn-error', error: error.message });
    });
    child.on('spawn', () => {
      if (child.pid) options.onSpawn?.(child.pid);
    });
    child.on('close', (code, signal) => {
      if (endedBy === 'exit' && signal) endedBy = 'signal';
      finish({ exitCode: code, signal, endedBy });
    });
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeoutMs) timer = setTimeout(() => stop('timeout'), options.timeoutMs);
  });
}

/** How a command ended, in words: `exited with code 1`, `timed out`, `was killed by SIGKILL`... */
export function describeEnd(result: CommandResult): string {
  switch (result.endedBy) {
    case 'cancel':
      return 'was cancelled';
    case 'timeout':
      return 'timed out';
    case 'spawn-error':
      return `could not start (${result.error})`;
    default:
      return result.signal
        ? `was killed by ${result.signal}`
        : `exited with code ${result.exitCode}`;
  }
}
