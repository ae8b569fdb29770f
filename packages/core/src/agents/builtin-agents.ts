import { type AgentResult, AgentResultSchema, failedResult } from '../model/agent-result.js';
import { taskLabel } from '../model/sprint.js';
import { agentEnvironment } from '../process/agent-env.js';
import { describeEnd, runCommand } from '../process/run-command.js';
import type { Agent, AgentContext } from './agent.js';

/**
 * Succeeds at once without doing anything: for demos, dry runs and
 * benchmarks. Its summary says so, so nobody mistakes it for work done.
 */
export class NoopAgent implements Agent {
  readonly name = 'noop';
  async run(ctx: AgentContext): Promise<AgentResult> {
    return AgentResultSchema.parse({
      success: true,
      summary: `noop: ${taskLabel(ctx.task)} (nothing was done)`,
    });
  }
}

/**
 * Runs the task's `command` with /bin/sh in the project directory; the exit
 * code decides success. Output lines stream as activity; the tail is the
 * summary.
 */
export class ShellAgent implements Agent {
  readonly name = 'shell';
  readonly #env: NodeJS.ProcessEnv | undefined;
  readonly #graceMs: number | undefined;

  /**
   * `graceMs`: how long a command that was told to stop (SIGTERM) has before it is
   * killed (SIGKILL); 3 s when not given. A runner's stop grace ends it sooner.
   */
  constructor(options: { env?: NodeJS.ProcessEnv; graceMs?: number } = {}) {
    this.#env = options.env;
    this.#graceMs = options.graceMs;
  }

  async run(ctx: AgentContext): Promise<AgentResult> {
    // Only the task's own `command` runs; a field of that name in free-form fields never does.
    const command = ctx.task.command;
    if (!command) {
      return failedResult(
        'config',
        `task ${ctx.task.id} has no "command" for the shell agent: add command: <shell command> to the task`,
      );
    }
    const result = await runCommand(command, {
      cwd: ctx.projectDir,
      signal: ctx.signal,
      marker: ctx.runMarker,
      ...(this.#graceMs !== undefined ? { graceMs: this.#graceMs } : {}),
      // The sprint's per-task limit, so a hung command ends as a timeout, like every other agent.
      ...(ctx.sprint.config.taskTimeoutMs ? { timeoutMs: ctx.sprint.config.taskTimeoutMs } : {}),
      env: {
        ...agentEnvironment(),
        ...this.#env,
        SPRINT_TASK_ID: ctx.task.id,
        SPRINT_ID: ctx.sprint.id,
      },
      onSpawn: (pid) => ctx.setPid(pid),
      onLine: (line, stream) => ctx.emit({ kind: 'log', stream, line }),
    });
    ctx.setPid(null);
    const tail = result.tail.trim();
    if (result.endedBy === 'exit' && result.exitCode === 0) {
      return AgentResultSchema.parse({
        success: true,
        summary: tail ? tail.split('\n').slice(-5).join('\n') : `\`${command}\` exited 0`,
        output: tail,
        durationMs: result.durationMs,
      });
    }
    const why = describeEnd(result);
    const kind =
      result.endedBy === 'cancel'
        ? 'cancelled'
        : result.endedBy === 'timeout'
          ? 'timeout'
          : 'failed';
    return failedResult(kind, `\`${command}\` ${why}${tail ? `:\n${tail}` : ''}`, {
      output: tail,
      durationMs: result.durationMs,
      error: {
        kind,
        message: `\`${command}\` ${why}`,
        exitCode: result.exitCode,
        signal: result.signal,
      },
    });
  }
}
