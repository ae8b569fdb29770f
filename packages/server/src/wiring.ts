import { type AgentOptions, agentFactories } from '@sprint/agents';
import {
  type AgentFactory,
  buildAgentRegistry,
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
export interface AgentsConfig extends AgentOptions {
  /**
   * The names requests may use. Default `['claude', 'noop']`. `shell` runs
   * each task's `command` with /bin/sh, so it is offered only when listed.
   */
  enabled?: readonly string[];
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
    ...agentFactories(config, env),
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
  // The programs the agents run: configured ones as if named by SPRINT_<NAME>_BIN.
  const programEnv: NodeJS.ProcessEnv = { ...env };
  for (const name of ['claude', 'codex', 'gemini', 'opencode'] as const) {
    const binary = config[name]?.binary;
    if (binary) programEnv[`SPRINT_${name.toUpperCase()}_BIN`] = binary;
  }
  return {
    setup: {
      names,
      registry: (sprintConfig: SprintConfig, override?: string) =>
        buildAgentRegistry({ config: sprintConfig, factories, override, defaultAgent }),
      programEnv,
    },
    secrets: [config.claude, config.codex, config.gemini, config.opencode].flatMap((c) =>
      secretsOf(c?.env ?? {}),
    ),
  };
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
