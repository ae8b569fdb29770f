import { join } from 'node:path';
import {
  AgentNotInstalledError,
  countTasks,
  escapeControls,
  InvalidSprintError,
  type Issue,
  plural,
  SprintLogLostError,
  UnknownAgentError,
  worktreeIsolation,
} from '@sprint/core';
import { cliAgentRegistry } from '../agents.js';
import type { CommandContext } from '../cli.js';
import { EXIT } from '../exit-codes.js';
import { exitCodeFor, UNKNOWN_AGENT_FIX } from '../report-error.js';
import { displayPath, type OpenedSprint, openSprintArg } from '../sprint-arg.js';

/** `sprint validate`: every check a run makes before it starts (the same core checks), without changing anything. */
export async function validateCommand(
  ctx: CommandContext,
  sprintArg: string | undefined,
  /** `agent`: the `--agent` of the run to check for, as `run` takes it. */
  options: { json?: boolean; agent?: string },
): Promise<number> {
  const { io } = ctx;
  let opened: OpenedSprint | undefined;
  try {
    opened = await openSprintArg(ctx, sprintArg, 'validate');
    const snapshot = await opened.store.load(opened.sprintId);
    // What is left of a sprint whose runner log is lost is no run's to start from.
    if (snapshot.logLost) throw new SprintLogLostError(opened.sprintId, snapshot.logLost);
    // The agents the run would use (--agent, else the sprint's config) must exist, cover every
    // task not done, and be installed.
    await cliAgentRegistry(snapshot, options.agent, undefined, io.env as NodeJS.ProcessEnv);
    // The isolation the sprint asks for must be possible (worktrees need a git project).
    await worktreeIsolation().check?.({
      definition: snapshot.definition,
      projectDir: snapshot.projectDir,
      sprintDir: snapshot.sprintDir,
      concurrency: snapshot.definition.config.concurrency ?? 1,
    });
    const counts = countTasks(snapshot.state);
    const shown = displayPath(io.cwd, opened.path);
    if (options.json) {
      io.stdout.write(
        `${JSON.stringify({ valid: true, sprint: opened.path, format: opened.format, tasks: counts.total, issues: [] }, null, 2)}\n`,
      );
    } else {
      io.stdout.write(
        `${shown} is valid: ${opened.format === 'document' ? 'Markdown sprint document' : opened.format === 'database' ? 'database sprint' : 'sprint directory'}, ${plural(counts.total, 'task')} (${counts.done} done), status ${snapshot.state.status}.\n`,
      );
    }
    return EXIT.ok;
  } catch (error) {
    if (!options.json) throw error;
    let issues: Issue[] | undefined;
    if (error instanceof InvalidSprintError) issues = error.issues;
    else if (error instanceof UnknownAgentError && opened) {
      issues = [
        {
          file: opened.format === 'directory' ? join(opened.path, 'SPRINT.yaml') : opened.path,
          field: /\((config\.[\w.-]+)\)/.exec(error.message)?.[1] ?? 'config.agent',
          message: error.message,
          fix: UNKNOWN_AGENT_FIX,
        },
      ];
    } else if (error instanceof AgentNotInstalledError) {
      issues = error.missing.map((m) => ({
        field: `agent ${m.agent}`,
        message: `the ${m.agent} CLI is not installed ("${m.binary}" is not an executable)`,
        fix: `install it with \`${m.install}\` (or set ${m.binEnv} to its path), or pick another agent`,
      }));
    }
    if (!issues) throw error;
    io.stdout.write(`${JSON.stringify({ valid: false, issues }, null, 2)}\n`);
    io.stderr.write(`Error: ${escapeControls((error as Error).message, { newlines: true })}\n`);
    return exitCodeFor(error);
  }
}
