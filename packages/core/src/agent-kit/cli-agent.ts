import { stat } from 'node:fs/promises';
import type { z } from 'zod';
import type { Agent, AgentContext } from '../agents/agent.js';
import type { ModelPlanInput, PlannedModel } from '../agents/planned-model.js';
import { sprintModel, sprintModelChoice } from '../agents/task-model.js';
import { type AgentResult, failedResult, type TokenUsage } from '../model/agent-result.js';
import type { AgentActivity } from '../model/events.js';
import type { SprintConfig } from '../model/sprint.js';
import { estimateCost } from '../pricing/model-prices.js';
import { agentEnvironment } from '../process/agent-env.js';
import { DEFAULT_TIMEOUT_MS } from './cli-options.js';
import { runCliProcess } from './cli-process.js';
import type { ProcessEnd } from './process-end.js';
import { buildTaskPrompt, type ResultReporting } from './prompt.js';
import type { EndContext } from './reported-result.js';
import { parseAgentOptions, withSprintOptions } from './sprint-overrides.js';

/** The options every CLI agent has (after parsing, defaults applied). */
export interface CliAgentOptions {
  name: string;
  binary?: string;
  model?: string;
  env: Record<string, string>;
  inheritEnv: boolean;
  cwd?: string;
  timeoutMs?: number;
  idleTimeoutMs: number;
  killGraceMs: number;
}

/** What a CLI's stream reader keeps: tokens, and the model and cost when the CLI reports them. */
export interface CliRunState {
  tokens: TokenUsage;
  /** The model the CLI used, when it says; prices the run over the configured one. */
  model?: string;
  /** The cost the CLI priced itself; when above 0 it is the run's cost, not estimated. */
  costUsd?: number;
}

/** Everything a CLI's outcome table makes its verdict from. */
export interface CliOutcomeInput<S> {
  state: S;
  end: ProcessEnd;
  /**
   * Cost and whether it was estimated, priced from `state.tokens` unless the
   * CLI priced it; an estimate names the model it priced (when known) and
   * whether the table's `*` fallback priced it.
   */
  cost: { costUsd: number; estimated: boolean; model?: string; fallback?: boolean };
  ctx: Omit<EndContext, 'label' | 'installHint' | 'agent'>;
  now?: Date;
}

/** The CLI's arguments for one run; `cleanup` runs once the process has ended. */
export interface CliArgs {
  args: string[];
  cleanup?: () => Promise<void>;
}

/** What differs between the CLI agents: everything else is {@link CliAgent}'s. */
export interface CliAgentSpec<S extends z.ZodType<CliAgentOptions>, State extends CliRunState> {
  /** The CLI's name: the default binary, `SPRINT_<CLI>_BIN`, the sprint's `config.<cli>`. */
  cli: 'codex' | 'gemini' | 'opencode';
  /** Names the options in errors, e.g. `GeminiAgent options`. */
  optionsLabel: string;
  schema: S;
  /** Keys a sprint file's `config.<cli>` may set. */
  sprintKeys: readonly string[];
  reporting: ResultReporting;
  args: (options: z.output<S>) => CliArgs | Promise<CliArgs>;
  initialState: State;
  /** Reads one stdout line. Pure. */
  readLine: (state: State, line: string) => { state: State; activities: AgentActivity[] };
  outcome: (input: CliOutcomeInput<State>) => AgentResult;
  /**
   * The model the CLI uses when none is given, and where it is set (codex:
   * `model` in its config.toml): a run whose output does not name its model
   * is priced by it, not `*`, and a dry run shows it.
   */
  configuredModel?: (
    options: z.output<S>,
    env: Record<string, string | undefined>,
    cwd: string,
  ) => PlannedModel | undefined;
}

/** The environment an agent CLI runs in: sprint's own (`base`, less its credentials) unless `inheritEnv` is off, the `env` option over it. */
export function cliEnvironment(
  options: Pick<CliAgentOptions, 'env' | 'inheritEnv'>,
  base: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string | undefined> {
  return options.inheritEnv ? { ...agentEnvironment(base), ...options.env } : { ...options.env };
}

/**
 * The model an agent CLI would run `input.task` with (`Agent.plannedModel`):
 * the sprint's choice, else the agent's `model` option, else what
 * `configured` finds in the CLI's own configuration. `sprintOptions` are the
 * agent's options with the sprint's `config.<cli>` over them; when those are
 * invalid the run fails before it picks a model, so there is none.
 */
export function plannedCliModel<O extends CliAgentOptions>(
  cli: string,
  input: ModelPlanInput,
  sprintOptions: (config: SprintConfig) => O,
  configured?: (
    options: O,
    env: Record<string, string | undefined>,
    cwd: string,
  ) => PlannedModel | undefined,
): PlannedModel | undefined {
  const chosen = sprintModelChoice(input.task, cli, input.config);
  if (chosen) return chosen;
  let options: O;
  try {
    options = sprintOptions(input.config);
  } catch {
    return undefined;
  }
  if (options.model) return { model: options.model, source: { kind: 'options' } };
  return configured?.(options, cliEnvironment(options, input.env), options.cwd ?? input.projectDir);
}

/**
 * An agent CLI as an {@link Agent}: one process per attempt, the prompt on
 * stdin, the sprint's `config.<cli>` over the options, the task's `model`
 * over both, its stdout read line by line into activities (usage priced from
 * the price table unless the CLI priced it) and the end turned into a result
 * by the spec's outcome table.
 */
export class CliAgent<S extends z.ZodType<CliAgentOptions>, State extends CliRunState>
  implements Agent
{
  readonly name: string;
  readonly options: z.output<S>;
  readonly #spec: CliAgentSpec<S, State>;

  /** @throws InvalidOptionsError when an option has the wrong type or range. */
  constructor(spec: CliAgentSpec<S, State>, options: z.input<S>) {
    this.#spec = spec;
    this.options = parseAgentOptions(spec.schema, options, spec.optionsLabel);
    this.name = this.options.name;
  }

  /** The model a run of `input.task` would use, and what chose it; starts nothing. */
  plannedModel(input: ModelPlanInput): PlannedModel | undefined {
    return plannedCliModel(
      this.#spec.cli,
      input,
      (config) => this.#sprintOptions(config),
      this.#spec.configuredModel,
    );
  }

  /** The options with the sprint's `config.<cli>` over them. @throws when the sprint sets a key it may not. */
  #sprintOptions(config: SprintConfig): z.output<S> {
    return withSprintOptions(this.#spec.schema, this.options, config[this.#spec.cli], {
      agent: this.#spec.cli,
      allowed: this.#spec.sprintKeys,
    });
  }

  /** Runs one attempt at `ctx.task`. Never throws: every failure is a result with an error kind. */
  async run(ctx: AgentContext): Promise<AgentResult> {
    const spec = this.#spec;
    let options: z.output<S>;
    try {
      options = this.#sprintOptions(ctx.sprint.config);
    } catch (error) {
      return failedResult('config', (error as Error).message);
    }
    const model = sprintModel(ctx.task, spec.cli, ctx.sprint.config);
    if (model) options = { ...options, model };
    const binary =
      options.binary ?? process.env[`SPRINT_${spec.cli.toUpperCase()}_BIN`] ?? spec.cli;
    const limits = {
      timeoutMs: options.timeoutMs ?? ctx.sprint.config.taskTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      idleTimeoutMs: options.idleTimeoutMs,
    };
    const cwd = options.cwd ?? ctx.projectDir;
    if (!(await stat(cwd).catch(() => undefined))?.isDirectory()) {
      return failedResult(
        'config',
        `The working directory for the ${spec.cli} CLI does not exist: ${cwd}`,
      );
    }
    const env = cliEnvironment(options);
    // The model the CLI says it used, else the one asked for, else the CLI's own default.
    let configured: string | undefined | null = null;
    const modelUsed = () => {
      if (state.model ?? options.model) return state.model ?? options.model;
      if (configured === null) configured = spec.configuredModel?.(options, env, cwd)?.model;
      return configured;
    };
    const price = (tokens: TokenUsage) =>
      estimateCost(modelUsed(), tokens, ctx.sprint.config.prices);
    const estimated = (tokens: TokenUsage) => {
      const model = modelUsed();
      const { costUsd, priceKey } = price(tokens);
      return {
        costUsd,
        estimated: true,
        ...(model ? { model } : {}),
        ...(priceKey === '*' ? { fallback: true } : {}),
      };
    };
    const { args, cleanup } = await spec.args(options);
    let state = spec.initialState;
    let pidSet = false;
    try {
      const end = await runCliProcess({
        binary,
        args,
        cwd,
        env,
        stdin: buildTaskPrompt(ctx, spec.reporting),
        ...limits,
        killGraceMs: options.killGraceMs,
        signal: ctx.signal,
        marker: ctx.runMarker,
        onStart: (pid) => {
          pidSet = true;
          ctx.setPid(pid);
        },
        onLine: (line) => {
          const step = spec.readLine(state, line);
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
      const reported = state.costUsd ?? 0;
      return spec.outcome({
        state,
        end,
        cost: reported > 0 ? { costUsd: reported, estimated: false } : estimated(state.tokens),
        ctx: { binary, limits },
      });
    } finally {
      if (pidSet) ctx.setPid(null);
      await cleanup?.();
    }
  }
}
