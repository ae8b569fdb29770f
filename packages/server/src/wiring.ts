import { ClaudeCodeAgent, type ClaudeCodeOptions } from '@sprint/agents-claude';
import { CodexAgent, type CodexOptions } from '@sprint/agents-codex';
import { GeminiAgent, type GeminiOptions } from '@sprint/agents-gemini';
import { OpencodeAgent, type OpencodeOptions } from '@sprint/agents-opencode';
import {
  type AgentFactory,
  agentEnvironment,
  buildAgentRegistry,
  builtinAgentFactories,
  defaultHooks,
  describeSprint,
  type LockInfo,
  type SprintConfig,
  type SprintHook,
  SprintRootStore,
  type SprintSnapshot,
  type SprintStore,
  UnknownAgentError,
} from '@sprint/core';
import type { AgentSetup } from './app.js';
import { secretsOf } from './redact.js';

/**
 * The agents a server offers. Requests pick among these names only; every
 * program, argument and variable comes from here.
 */
export interface AgentsConfig {
  /**
   * The names requests may use. Default `['claude', 'noop']`. `shell` runs
   * each task's `command` with /bin/sh, so it is offered only when listed.
   */
  enabled?: readonly string[];
  /** Options of the `claude` agent (binary, model, env, limits). */
  claude?: ClaudeCodeOptions;
  /** Options of the `codex` agent (binary, model, sandbox, env, limits); offered when listed in `enabled`. */
  codex?: CodexOptions;
  /** Options of the `gemini` agent; offered when listed in `enabled`. */
  gemini?: GeminiOptions;
  /** Options of the `opencode` agent; offered when listed in `enabled`. */
  opencode?: OpencodeOptions;
  /** More agents by name (or replacements for the built-in ones). */
  factories?: Readonly<Record<string, AgentFactory>>;
  /** The agent for tasks the sprint's `agent`/`agents` config does not place. Default `claude` when enabled. */
  defaultAgent?: string;
}

export const DEFAULT_AGENTS: readonly string[] = ['claude', 'noop'];

/**
 * The agent setup of a server, and the secrets its agents' configuration holds.
 * @throws UnknownAgentError when `enabled` names an agent nobody provides.
 */
export function serverAgents(
  config: AgentsConfig,
  env: Record<string, string | undefined> = process.env,
): { setup: AgentSetup; secrets: string[] } {
  const all: Record<string, AgentFactory> = {
    ...builtinAgentFactories,
    claude: () =>
      new ClaudeCodeAgent({
        ...config.claude,
        binary: config.claude?.binary ?? env.SPRINT_CLAUDE_BIN,
        // Agents never get the server's own credentials, even when the configuration copies them.
        ...(config.claude?.env ? { env: withoutPrivate(config.claude.env) } : {}),
      }),
    codex: () =>
      new CodexAgent({
        ...config.codex,
        binary: config.codex?.binary ?? env.SPRINT_CODEX_BIN,
        ...(config.codex?.env ? { env: withoutPrivate(config.codex.env) } : {}),
      }),
    gemini: () =>
      new GeminiAgent({
        ...config.gemini,
        binary: config.gemini?.binary ?? env.SPRINT_GEMINI_BIN,
        ...(config.gemini?.env ? { env: withoutPrivate(config.gemini.env) } : {}),
      }),
    opencode: () =>
      new OpencodeAgent({
        ...config.opencode,
        binary: config.opencode?.binary ?? env.SPRINT_OPENCODE_BIN,
        ...(config.opencode?.env ? { env: withoutPrivate(config.opencode.env) } : {}),
      }),
    ...config.factories,
  };
  const unknown = (config.enabled ?? []).filter((n) => !(n in all));
  if (unknown.length) {
    throw new UnknownAgentError(
      `Unknown agent${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: this server knows ${Object.keys(all).join(', ')}.`,
    );
  }
  const names = [...new Set(config.enabled ?? DEFAULT_AGENTS)];
  const factories = Object.fromEntries(names.map((n) => [n, all[n]!]));
  const defaultAgent =
    config.defaultAgent ??
    (names.includes('claude') ? 'claude' : names.length === 1 ? names[0] : undefined);
  return {
    setup: {
      names,
      registry: (sprintConfig: SprintConfig, override?: string) =>
        buildAgentRegistry({ config: sprintConfig, factories, override, defaultAgent }),
    },
    secrets: [config.claude, config.codex, config.gemini, config.opencode].flatMap((c) =>
      secretsOf(c?.env ?? {}),
    ),
  };
}

/** An agent's environment without sprint's own credentials (`SPRINT_API_TOKEN`). */
function withoutPrivate(env: Record<string, string>): Record<string, string> {
  return agentEnvironment(env) as Record<string, string>;
}

export function defaultStore(root: string): SprintStore {
  return new SprintRootStore({ root });
}

export function defaultDescribe(snapshot: SprintSnapshot, lock: LockInfo | null): unknown {
  return describeSprint(snapshot, lock);
}

export function defaultHooksFor(config: SprintConfig): SprintHook[] {
  return defaultHooks(config);
}
