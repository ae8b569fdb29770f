/**
 * Every agent this tool ships, by the name a sprint's `config.agent`, the
 * CLI's `--agent` and a server's `enabled` list use. `noop` and `shell` live in
 * core; the others are adapter packages (`@sprint/agents-<name>`).
 */
export const AGENT_NAMES = ['claude', 'codex', 'gemini', 'opencode', 'noop', 'shell'] as const;

export type AgentName = (typeof AGENT_NAMES)[number];
