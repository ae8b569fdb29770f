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
import { INITIAL_OPENCODE_STATE, type OpencodeState, readOpencodeLine } from './opencode-events.js';
import { opencodeOutcome } from './opencode-outcome.js';
import {
  DEFAULT_TIMEOUT_MS,
  type OpencodeOptions,
  OpencodeOptionsSchema,
  opencodeArgs,
  type ResolvedOpencodeOptions,
  SPRINT_OPENCODE_KEYS,
} from './options.js';

/**
 * The `opencode` CLI as an {@link Agent}: one `opencode run --format json`
 * process per attempt, the prompt on stdin, permissions approved with
 * `--auto` (works as root). The CLI has no schema option, so the prompt asks
 * for a final JSON object, and a missing or invalid one is `invalid-output`.
 * The cost is opencode's own when it prices the model, else estimated.
 *
 * @example
 * ```ts
 * import { AgentRegistry } from '@sprint/core';
 * import { OpencodeAgent } from '@sprint/agents-opencode';
 *
 * const agents = new AgentRegistry({ default: new OpencodeAgent({ model: 'anthropic/claude-sonnet-4-5' }) });
 * ```
 */
export class OpencodeAgent implements Agent {
  readonly name: string;
  readonly options: ResolvedOpencodeOptions;

  /** @throws InvalidOptionsError when an option has the wrong type or range. */
  constructor(options: OpencodeOptions = {}) {
    this.options = parseAgentOptions(OpencodeOptionsSchema, options, 'OpencodeAgent options');
    this.name = this.options.name;
  }

  /** Runs one attempt at `ctx.task`. Never throws: every failure is a result with an error kind. */
  async run(ctx: AgentContext): Promise<AgentResult> {
    let options: ResolvedOpencodeOptions;
    try {
      options = withSprintOptions(OpencodeOptionsSchema, this.options, ctx.sprint.config.opencode, {
        agent: 'opencode',
        allowed: SPRINT_OPENCODE_KEYS,
      });
    } catch (error) {
      return failedResult('config', (error as Error).message);
    }
    const taskModel = ctx.task.fields.model;
    if (typeof taskModel === 'string' && taskModel) options = { ...options, model: taskModel };
    const binary = options.binary ?? process.env.SPRINT_OPENCODE_BIN ?? 'opencode';
    const limits = {
      timeoutMs: options.timeoutMs ?? ctx.sprint.config.taskTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      idleTimeoutMs: options.idleTimeoutMs,
    };
    const cwd = options.cwd ?? ctx.projectDir;
    if (!(await stat(cwd).catch(() => undefined))?.isDirectory()) {
      return failedResult(
        'config',
        `The working directory for the opencode CLI does not exist: ${cwd}`,
      );
    }
    const price = (tokens: OpencodeState['tokens']) =>
      estimateCost(options.model, tokens, ctx.sprint.config.prices);
    let state: OpencodeState = INITIAL_OPENCODE_STATE;
    let pidSet = false;
    try {
      const end = await runCliProcess({
        binary,
        args: opencodeArgs(options),
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
          const step = readOpencodeLine(state, line);
          state = step.state;
          for (const activity of step.activities) {
            try {
              ctx.emit(
                activity.kind === 'usage' && !activity.costUsd
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
      return opencodeOutcome({
        state,
        end,
        cost:
          state.costUsd > 0
            ? { costUsd: state.costUsd, estimated: false }
            : { costUsd: price(state.tokens).costUsd, estimated: true },
        ctx: { binary, limits },
      });
    } finally {
      if (pidSet) ctx.setPid(null);
    }
  }
}
