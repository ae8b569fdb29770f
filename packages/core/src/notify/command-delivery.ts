import { spawn } from 'node:child_process';
import { agentEnvironment } from '../process/agent-env.js';
import { endProcessTree } from '../process/process-tree.js';
import type { DeliveryOutcome } from './http-delivery.js';

/**
 * Runs a notification command (`/bin/sh -c`) in its own process group with
 * `input` on stdin, the environment agents get, plus `SPRINT_EVENT` and
 * `SPRINT_ID`. On the time limit or abort the group gets SIGTERM, then
 * SIGKILL. A non-zero exit is a failed delivery; it is not retried (a
 * command's failure is rarely passing). Never throws.
 */
export function deliverCommand(
  command: string,
  input: string,
  options: {
    cwd: string;
    env: Record<string, string>;
    timeoutMs: number;
    signal: AbortSignal;
  },
): Promise<DeliveryOutcome> {
  return new Promise((resolve) => {
    let why: string | undefined;
    const child = spawn('/bin/sh', ['-c', command], {
      cwd: options.cwd,
      env: { ...agentEnvironment(), ...options.env },
      detached: true,
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-2000);
    });
    // A command that does not read its stdin must not fail the delivery.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
    const end = (reason: string) => {
      why ??= reason;
      if (child.pid) void endProcessTree([child.pid], 2000);
    };
    const timer = setTimeout(
      () => end(`no exit within ${options.timeoutMs} ms`),
      options.timeoutMs,
    );
    const onAbort = () => end('cancelled');
    options.signal.addEventListener('abort', onAbort, { once: true });
    const finish = (outcome: DeliveryOutcome) => {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    child.on('error', (error) => finish({ delivered: false, attempts: 1, error: error.message }));
    child.on('close', (code, signal) => {
      if (code === 0 && !why) return finish({ delivered: true, attempts: 1 });
      const tail = stderr.trim().split('\n').at(-1);
      finish({
        delivered: false,
        attempts: 1,
        error: why ?? `exit ${code ?? signal}${tail ? `: ${tail}` : ''}`,
      });
    });
  });
}
