import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { processStartTime } from '../process/process-group.js';
import {
  type AttemptStart,
  endMarkedProcesses,
  forkClock,
  RUN_MARKER_ENV,
} from '../process/process-tree.js';
import type { EndedBy, ProcessEnd } from './process-end.js';

/** How to run the CLI once. */
export interface CliProcessOptions {
  binary: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed. */
  stdin: string;
  timeoutMs: number;
  idleTimeoutMs: number;
  killGraceMs: number;
  signal: AbortSignal;
  /**
   * Each stdout line, as it arrives; also restarts the idle timer. Returning
   * `refused` ends the run at once (the API refused the credentials: retrying
   * cannot help).
   */
  onLine(line: string): 'refused' | undefined;
  onStart?(pid: number): void;
  /**
   * The attempt's run marker from the runner (`AgentContext.runMarker`); a
   * fresh one when absent. Set in the CLI's environment, so every process it
   * starts inherits it and can be found and ended, also after a crash.
   */
  marker?: string;
}

const STDERR_TAIL = 4096;

/**
 * Runs the CLI in its own process group and resolves once it ended, its
 * output is read and nothing it started is left. On time limit, idle limit or
 * abort the whole tree gets SIGTERM, then SIGKILL after the grace period
 * (see `endProcessTree`). Timers are cleared before it resolves. Never rejects.
 */
export function runCliProcess(options: CliProcessOptions): Promise<ProcessEnd> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  if (options.signal.aborted) {
    return Promise.resolve({
      endedBy: 'cancel',
      exitCode: null,
      signal: null,
      durationMs: 0,
      stderrTail: '',
    });
  }

  return new Promise<ProcessEnd>((resolve) => {
    const marker = options.marker ?? randomUUID();
    let stopReason: EndedBy | undefined;
    let stopping: Promise<void> | undefined;
    let stderrTail = '';
    let exit: { code: number | null; signal: string | null; atMs: number } | undefined;
    let closing = false;
    let settled = false;
    const timers = new Set<NodeJS.Timeout>();
    const later = (ms: number, fn: () => void) => {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
      return t;
    };

    // Read before the fork: what the CLI starts can then be told by its PID (see forkedAbove).
    const clock = forkClock();
    const child = spawn(options.binary, options.args, {
      cwd: options.cwd,
      env: { ...options.env, [RUN_MARKER_ENV]: marker },
      detached: true, // its own process group, so a stop reaches what it started
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const pid = child.pid;
    // What carries the marker started after the CLI: older processes need no environment read.
    const since: AttemptStart = {
      ticks: pid === undefined ? 0 : Number(processStartTime(pid) ?? 0),
      pid,
      clock,
    };

    const finish = (end: ProcessEnd) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      options.signal.removeEventListener('abort', onAbort);
      resolve(end);
    };

    const endTree = () =>
      pid === undefined
        ? Promise.resolve()
        : endMarkedProcesses(marker, [pid], options.killGraceMs, since);

    const stop = (reason: EndedBy) => {
      if (stopReason || exit) return;
      stopReason = reason;
      stopping = endTree();
    };
    const onAbort = () => stop('cancel');

    child.on('error', (error: NodeJS.ErrnoException) => {
      if (pid === undefined) {
        finish({
          endedBy: 'spawn-error',
          exitCode: null,
          signal: null,
          durationMs: elapsed(),
          stderrTail: '',
          spawnError: { code: error.code, message: error.message },
        });
      }
    });
    if (pid === undefined) return; // 'error' follows and settles

    options.onStart?.(pid);
    options.signal.addEventListener('abort', onAbort, { once: true });
    later(options.timeoutMs, () => stop('timeout'));
    let idle = later(options.idleTimeoutMs, () => stop('idle'));

    // The CLI may exit before reading its prompt; a broken pipe is not an error of ours.
    child.stdin.on('error', () => {});
    child.stdin.end(options.stdin);

    const lines = createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY });
    lines.on('line', (line) => {
      clearTimeout(idle);
      timers.delete(idle);
      if (!stopReason && !exit) idle = later(options.idleTimeoutMs, () => stop('idle'));
      if (options.onLine(line) === 'refused') stop('refused');
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL);
    });

    const done = async () => {
      if (closing) return;
      closing = true;
      // Whatever the CLI started and left behind ends with it.
      await (stopping ?? endTree());
      const e = exit ?? { code: null, signal: null, atMs: elapsed() };
      finish({
        endedBy: stopReason ?? (e.signal ? 'signal' : 'exit'),
        exitCode: e.code,
        signal: e.signal,
        durationMs: e.atMs,
        stderrTail,
      });
    };

    child.on('exit', (code, sig) => {
      exit = { code, signal: sig, atMs: elapsed() };
      // A stray process holding stdout open must not keep us waiting for 'close'.
      later(options.killGraceMs + 1000, () => {
        child.stdout.destroy();
        child.stderr.destroy();
        void done();
      });
    });
    child.on('close', () => void done());
  });
}
