import { describeEnd, runCommand } from '../process/run-command.js';
import type { SprintHook } from './hook.js';

/**
 * After each step the agent reports done, runs the task's `verify` command in
 * the project directory; a non-zero exit fails the task with its output tail.
 * Completion is decided by a check the runner can run, not by the agent's word.
 */
export function verifyHook(options: { timeoutMs?: number } = {}): SprintHook {
  return {
    name: 'verify',
    async afterStep({ task, projectDir, signal, runMarker }) {
      const command = task.verify;
      if (!command) return undefined;
      const result = await runCommand(command, {
        cwd: projectDir,
        signal,
        marker: runMarker,
        timeoutMs: options.timeoutMs ?? 10 * 60_000,
      });
      if (result.endedBy === 'exit' && result.exitCode === 0) {
        return { passed: true, message: `\`${command}\` passed` };
      }
      const why = describeEnd(result);
      return {
        passed: false,
        blocking: true,
        message: `\`${command}\` ${why}${result.tail.trim() ? `\n${result.tail.trim()}` : ''}`,
      };
    },
  };
}
