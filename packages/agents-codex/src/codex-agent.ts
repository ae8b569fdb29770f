import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Agent,
  type AgentContext,
  type AgentResult,
  agentEnvironment,
  estimateCost,
  failedResult,
} from '@sprint/core';
import {
  buildTaskPrompt,
  parseAgentOptions,
  runCliProcess,
  withSprintOptions,
} from '@sprint/core/agent-kit';
import { codexArgs } from './codex-args.js';
import { type CodexState, INITIAL_CODEX_STATE, readCodexLine } from './codex-events.js';
import { codexOutcome } from './codex-outcome.js';
import {
  type CodexOptions,
  CodexOptionsSchema,
  DEFAULT_TIMEOUT_MS,
  type ResolvedCodexOptions,
  SPRINT_CODEX_KEYS,
} from './options.js';
import { CODEX_RESULT_JSON_SCHEMA } from './result-schema.js';

/**
 * OpenAI's `codex` CLI as an {@link Agent}: one `codex exec --json` process
 * per attempt, the prompt on stdin, `--output-schema` for the result, the
 * `workspace-write` sandbox with approvals off (works as root).
 *
 * @example
 * ```ts
 * import { AgentRegistry } from '@sprint/core';
 * import { CodexAgent } from '@sprint/agents-codex';
 *
 * const agents = new AgentRegistry({ default: new CodexAgent({ model: 'gpt-5-codex' }) });
 * ```
 */
export class CodexAgent implements Agent {
  readonly name: string;
  readonly options: ResolvedCodexOptions;

  /** @throws InvalidOptionsError when an option has the wrong type or range. */
  constructor(options: CodexOptions = {}) {
    this.options = parseAgentOptions(CodexOptionsSchema, options, 'CodexAgent options');
    this.name = this.options.name;
  }

  /** Runs one attempt at `ctx.task`. Never throws: every failure is a result with an error kind. */
  async run(ctx: AgentContext): Promise<AgentResult> {
    let options: ResolvedCodexOptions;
    try {
      options = withSprintOptions(CodexOptionsSchema, this.options, ctx.sprint.config.codex, {
        agent: 'codex',
        allowed: SPRINT_CODEX_KEYS,
      });
    } catch (error) {
      return failedResult('config', (error as Error).message);
    }
    const taskModel = ctx.task.fields.model;
    if (typeof taskModel === 'string' && taskModel) options = { ...options, model: taskModel };
    const binary = options.binary ?? process.env.SPRINT_CODEX_BIN ?? 'codex';
    const limits = {
      timeoutMs: options.timeoutMs ?? ctx.sprint.config.taskTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      idleTimeoutMs: options.idleTimeoutMs,
    };
    const cwd = options.cwd ?? ctx.projectDir;
    if (!(await stat(cwd).catch(() => undefined))?.isDirectory()) {
      return failedResult(
        'config',
        `The working directory for the codex CLI does not exist: ${cwd}`,
      );
    }
    const price = (tokens: CodexState['tokens']) =>
      estimateCost(options.model, tokens, ctx.sprint.config.prices);
    // The schema goes in a file of its own, outside the project, removed after the run.
    const schemaDir = await mkdtemp(join(tmpdir(), 'sprint-codex-'));
    const schemaFile = join(schemaDir, 'result-schema.json');
    let state: CodexState = INITIAL_CODEX_STATE;
    let pidSet = false;
    try {
      await writeFile(schemaFile, JSON.stringify(CODEX_RESULT_JSON_SCHEMA));
      const end = await runCliProcess({
        binary,
        args: codexArgs(options, { schemaFile }),
        cwd,
        env: options.inheritEnv ? { ...agentEnvironment(), ...options.env } : { ...options.env },
        stdin: buildTaskPrompt(ctx, 'schema-message'),
        ...limits,
        killGraceMs: options.killGraceMs,
        signal: ctx.signal,
        marker: ctx.runMarker,
        onStart: (pid) => {
          pidSet = true;
          ctx.setPid(pid);
        },
        onLine: (line) => {
          const step = readCodexLine(state, line);
          state = step.state;
          for (const activity of step.activities) {
            try {
              ctx.emit(
                activity.kind === 'usage'
                  ? { ...activity, costUsd: price(activity.tokens).costUsd }
                  : activity,
              );
            } catch {
              // A failing progress listener must not end the task.
            }
          }
          return undefined;
        },
      });
      return codexOutcome({
        state,
        end,
        cost: { costUsd: price(state.tokens).costUsd, estimated: true },
        ctx: { binary, limits },
      });
    } finally {
      if (pidSet) ctx.setPid(null);
      await rm(schemaDir, { recursive: true, force: true });
    }
  }
}
