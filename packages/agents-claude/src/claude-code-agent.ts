import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import {
  type Agent,
  type AgentContext,
  type AgentResult,
  failedResult,
  type ModelPlanInput,
  type PlannedModel,
  SPRINT_AGENT_KEYS,
  type SprintConfig,
  sprintModel,
} from '@sprint/core';
import {
  buildTaskPrompt,
  cliEnvironment,
  parseAgentOptions,
  plannedCliModel,
  runCliProcess,
  TASK_RESULT_JSON_SCHEMA,
  withSprintOptions,
} from '@sprint/core/agent-kit';
import {
  type ClaudeCodeOptions,
  ClaudeCodeOptionsSchema,
  DEFAULT_TIMEOUT_MS,
  permissionArgs,
  type ResolvedClaudeCodeOptions,
} from './options.js';
import { isAuthRefusal, runOutcome } from './run-outcome.js';
import { INITIAL_STREAM_STATE, readStreamLine, type StreamState } from './stream-json.js';

/**
 * The `claude` CLI (Claude Code) as an {@link Agent}: one headless CLI process
 * per attempt, `claude -p --output-format stream-json --verbose` with the
 * prompt on stdin and `--json-schema` for the result.
 *
 * @example
 * ```ts
 * import { AgentRegistry } from '@sprint/core';
 * import { ClaudeCodeAgent } from '@sprint/agents-claude';
 *
 * const agents = new AgentRegistry({
 *   default: new ClaudeCodeAgent({ model: 'sonnet', maxTurns: 60, maxBudgetUsd: 5 }),
 * });
 * ```
 */
export class ClaudeCodeAgent implements Agent {
  readonly name: string;
  readonly options: ResolvedClaudeCodeOptions;

  /** @throws InvalidOptionsError when an option has the wrong type or range. */
  constructor(options: ClaudeCodeOptions = {}) {
    this.options = parseAgentOptions(ClaudeCodeOptionsSchema, options, 'ClaudeCodeAgent options');
    this.name = this.options.name;
  }

  /**
   * The model a run of `input.task` would use, and what chose it; starts
   * nothing. Without one, claude's own settings choose (sprint does not read them).
   */
  plannedModel(input: ModelPlanInput): PlannedModel | undefined {
    return plannedCliModel('claude', input, (config) => this.#sprintOptions(config));
  }

  /** The options with the sprint's `config.claude` over them. @throws when the sprint sets a key it may not. */
  #sprintOptions(config: SprintConfig): ResolvedClaudeCodeOptions {
    // What runs, with which environment, is the operator's choice, never a sprint file's.
    return withSprintOptions(ClaudeCodeOptionsSchema, this.options, config.claude, {
      agent: 'claude',
      allowed: SPRINT_AGENT_KEYS.claude ?? [],
    });
  }

  /** Runs one attempt at `ctx.task`. Never throws: every failure is a result with an error kind. */
  async run(ctx: AgentContext): Promise<AgentResult> {
    let options: ResolvedClaudeCodeOptions;
    try {
      options = this.#sprintOptions(ctx.sprint.config);
      // A task's own `model:` field wins over config.claude and the agent's options.
      const model = sprintModel(ctx.task, 'claude', ctx.sprint.config);
      if (model) options = { ...options, model };
    } catch (error) {
      return failedResult('config', (error as Error).message);
    }
    const binary = options.binary ?? process.env.SPRINT_CLAUDE_BIN ?? 'claude';
    const sessionId = randomUUID();
    const args = claudeArgs(options, { sessionId, isRoot: process.getuid?.() === 0 });
    const limits = {
      timeoutMs: options.timeoutMs ?? ctx.sprint.config.taskTimeoutMs ?? DEFAULT_TIMEOUT_MS,
      idleTimeoutMs: options.idleTimeoutMs,
    };
    const cwd = options.cwd ?? ctx.projectDir;
    // A missing working directory makes spawn fail with ENOENT, as a missing binary does: tell them apart.
    if (!(await stat(cwd).catch(() => undefined))?.isDirectory()) {
      return failedResult(
        'config',
        `The working directory for the claude CLI does not exist: ${cwd}`,
      );
    }
    let state: StreamState = { ...INITIAL_STREAM_STATE, sessionId };
    let pidSet = false;
    try {
      const end = await runCliProcess({
        binary,
        args,
        cwd,
        env: cliEnvironment(options),
        stdin: buildTaskPrompt(ctx),
        ...limits,
        killGraceMs: options.killGraceMs,
        signal: ctx.signal,
        marker: ctx.runMarker,
        onStart: (pid) => {
          pidSet = true;
          ctx.setPid(pid);
        },
        onLine: (line) => {
          const step = readStreamLine(state, line);
          state = step.state;
          for (const activity of step.activities) {
            try {
              ctx.emit(activity);
            } catch {
              // A failing progress listener must not end the task.
            }
          }
          // A 401/403 is final: the CLI would retry it for minutes.
          return state.pendingRetry && isAuthRefusal(state.pendingRetry) ? 'refused' : undefined;
        },
      });
      return runOutcome({ state, end, binary, limits });
    } finally {
      if (pidSet) ctx.setPid(null);
    }
  }
}

/**
 * The CLI's arguments for one run (without the prompt, which goes to stdin).
 * Exported for tests and for the benchmark, which runs the CLI directly.
 */
export function claudeArgs(
  options: ResolvedClaudeCodeOptions,
  run: { sessionId?: string; isRoot: boolean },
): string[] {
  const { mode, allowedTools } = permissionArgs(options, run.isRoot);
  const args = ['-p', '--output-format', 'stream-json', '--verbose'];
  if (run.sessionId) args.push('--session-id', run.sessionId);
  args.push('--json-schema', JSON.stringify(TASK_RESULT_JSON_SCHEMA));
  args.push('--permission-mode', mode);
  if (allowedTools.length) args.push('--allowedTools', allowedTools.join(','));
  if (options.disallowedTools.length) {
    args.push('--disallowedTools', options.disallowedTools.join(','));
  }
  if (options.model) args.push('--model', options.model);
  if (options.maxTurns !== undefined) args.push('--max-turns', String(options.maxTurns));
  if (options.maxBudgetUsd !== undefined) {
    args.push('--max-budget-usd', String(options.maxBudgetUsd));
  }
  if (options.appendSystemPrompt) args.push('--append-system-prompt', options.appendSystemPrompt);
  args.push(...options.extraArgs);
  return args;
}
