import { stat } from 'node:fs/promises';
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
import { type GeminiState, INITIAL_GEMINI_STATE, readGeminiLine } from './gemini-events.js';
import { geminiOutcome } from './gemini-outcome.js';
import {
  DEFAULT_TIMEOUT_MS,
  type GeminiOptions,
  GeminiOptionsSchema,
  geminiArgs,
  type ResolvedGeminiOptions,
  SPRINT_GEMINI_KEYS,
} from './options.js';

/**
 * Google's `gemini` CLI as an {@link Agent}: one `gemini -p --output-format
 * stream-json` process per attempt, the prompt on stdin, every tool approved
 * (`--approval-mode yolo`, `--skip-trust`; works as root). The CLI has no
 * schema option, so the prompt asks for a final JSON object, and a missing or
 * invalid one is `invalid-output`.
 *
 * @example
 * ```ts
 * import { AgentRegistry } from '@sprint/core';
 * import { GeminiAgent } from '@sprint/agents-gemini';
 *
 * const agents = new AgentRegistry({ default: new GeminiAgent({ model: 'gemini-2.5-pro' }) });
 * ```
 */
export class GeminiAgent implements Agent {
  readonly name: string;
  readonly options: ResolvedGeminiOptions;

  /** @throws InvalidOptionsError when an option has the wrong type or range. */
  constructor(options: GeminiOptions = {}) {
    this.options = parseAgentOptions(GeminiOptionsSchema, options, 'GeminiAgent options');
    this.name = this.options.name;
  }

  /** Runs one attempt at `ctx.task`. Never throws: every failure is a result with an error kind. */
  async run(ctx: AgentContext): Promise<AgentResult> {
    let options: ResolvedGeminiOptions;
    try {
      options = withSprintOptions(GeminiOptionsSchema, this.options, ctx.sprint.config.gemini, {
        agent: 'gemini',
        allowed: SPRINT_GEMINI_KEYS,
      });
    } catch (error) {
      return failedResult('config', (error as Error).message);
    }
    const taskModel = ctx.task.fields.model;
    if (typeof taskModel === 'string' && taskModel) options = { ...options, model: taskModel };
    const binary = options.binary ?? process.env.SPRINT_GEMINI_BIN ?? 'gemini';
    const limits = {
      timeoutMs: options.timeoutMs ?? ctx.sprint.config.taskTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      idleTimeoutMs: options.idleTimeoutMs,
    };
    const cwd = options.cwd ?? ctx.projectDir;
    if (!(await stat(cwd).catch(() => undefined))?.isDirectory()) {
      return failedResult(
        'config',
        `The working directory for the gemini CLI does not exist: ${cwd}`,
      );
    }
    const price = (tokens: GeminiState['tokens']) =>
      estimateCost(state.model ?? options.model, tokens, ctx.sprint.config.prices);
    let state: GeminiState = INITIAL_GEMINI_STATE;
    let pidSet = false;
    try {
      const end = await runCliProcess({
        binary,
        args: geminiArgs(options),
        cwd,
        env: options.inheritEnv ? { ...agentEnvironment(), ...options.env } : { ...options.env },
        stdin: buildTaskPrompt(ctx, 'final-json'),
        ...limits,
        killGraceMs: options.killGraceMs,
        signal: ctx.signal,
        marker: ctx.runMarker,
        onStart: (pid) => {
          pidSet = true;
          ctx.setPid(pid);
        },
        onLine: (line) => {
          const step = readGeminiLine(state, line);
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
      return geminiOutcome({
        state,
        end,
        cost: { costUsd: price(state.tokens).costUsd, estimated: true },
        ctx: { binary, limits },
      });
    } finally {
      if (pidSet) ctx.setPid(null);
    }
  }
}
