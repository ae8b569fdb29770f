import { ClaudeCodeAgent, type ClaudeCodeOptions } from '@sprint/agents-claude';
import { CodexAgent, type CodexOptions } from '@sprint/agents-codex';
import { GeminiAgent, type GeminiOptions } from '@sprint/agents-gemini';
import { OpencodeAgent, type OpencodeOptions } from '@sprint/agents-opencode';
import { type Agent, type AgentName, agentEnvironment, NoopAgent, ShellAgent } from '@sprint/core';

/**
 * Options of each agent CLI, set by the program that runs the sprint (a
 * server's configuration; none for the CLI). A sprint's own `config.<name>`
 * is read by the agent on every run and cannot set the binary or environment.
 */
export interface AgentOptions {
  /** Options of the `claude` agent (binary, model, env, limits). */
  claude?: ClaudeCodeOptions;
  /** Options of the `codex` agent (binary, model, sandbox, env, limits). */
  codex?: CodexOptions;
  /** Options of the `gemini` agent. */
  gemini?: GeminiOptions;
  /** Options of the `opencode` agent. */
  opencode?: OpencodeOptions;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The options with the binary from `SPRINT_<NAME>_BIN` when none is given, and without sprint's own credentials. */
function resolved<O extends { binary?: string; env?: Record<string, string> }>(
  name: string,
  options: O | undefined,
  env: Env,
): O {
  return {
    ...(options as O),
    binary: options?.binary ?? env[`SPRINT_${name.toUpperCase()}_BIN`],
    // Agents never get the server's own credentials (`SPRINT_API_TOKEN`), even when the configuration copies them.
    ...(options?.env ? { env: agentEnvironment(options.env) as Record<string, string> } : {}),
  };
}

/**
 * Every agent sprint ships, by name (`AGENT_NAMES`): `claude`, `codex`,
 * `gemini` and `opencode` from their adapter packages with `options`, and
 * core's `noop` and `shell`. Each CLI is the one `SPRINT_<NAME>_BIN` in
 * `env` names, unless `options` gives a `binary`. Each factory makes a new
 * agent; a sprint's `config.<name>` is read by the agent on every run.
 *
 * @example
 * ```ts
 * const registry = buildAgentRegistry({ config, factories: agentFactories({}, process.env) });
 * ```
 */
export function agentFactories(
  options: AgentOptions = {},
  env: Env = process.env,
): Readonly<Record<AgentName, () => Agent>> {
  return {
    noop: () => new NoopAgent(),
    shell: () => new ShellAgent(),
    claude: () => new ClaudeCodeAgent(resolved('claude', options.claude, env)),
    codex: () => new CodexAgent(resolved('codex', options.codex, env)),
    gemini: () => new GeminiAgent(resolved('gemini', options.gemini, env)),
    opencode: () => new OpencodeAgent(resolved('opencode', options.opencode, env)),
  };
}
