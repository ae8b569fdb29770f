import {
  type Agent,
  type AgentRegistry,
  buildAgentRegistry,
  builtinAgentFactories,
  preflightAgents,
  type SprintSnapshot,
} from '@sprint/core';
import { AGENT_NAMES } from './usage.js';

/**
 * The agents the CLI can run, built from the sprint's configuration (or
 * `override`, the `--agent` option) and checked against every task not yet
 * done: the same check a run makes before it starts, so `validate` and `run`
 * agree. Throws `UnknownAgentError` (exit 65) naming the agent and the choices,
 * `AgentNotInstalledError` (exit 69) naming the install command.
 */
export async function cliAgentRegistry(
  snapshot: Pick<SprintSnapshot, 'definition' | 'state'>,
  override?: string,
  /** With `run --workers`: each agent name becomes this, which hands the task to a worker. */
  dispatch?: (agent: string) => Agent,
  /** Where the agent CLIs are looked for (PATH, SPRINT_<NAME>_BIN). */
  env: NodeJS.ProcessEnv = process.env,
): Promise<AgentRegistry> {
  // Loaded here only: nothing else in the CLI pays for the agent packages.
  const [{ ClaudeCodeAgent }, { CodexAgent }, { GeminiAgent }, { OpencodeAgent }] =
    await Promise.all([
      import('@sprint/agents-claude'),
      import('@sprint/agents-codex'),
      import('@sprint/agents-gemini'),
      import('@sprint/agents-opencode'),
    ]);
  const registry = buildAgentRegistry({
    config: snapshot.definition.config,
    factories: dispatch
      ? Object.fromEntries(AGENT_NAMES.map((name) => [name, () => dispatch(name)]))
      : {
          ...builtinAgentFactories,
          // Each agent reads the sprint's `config.<name>` (kebab-case as written) on every run.
          claude: () => new ClaudeCodeAgent(),
          codex: () => new CodexAgent(),
          gemini: () => new GeminiAgent(),
          opencode: () => new OpencodeAgent(),
        },
    override,
  });
  await preflightAgents(
    registry,
    snapshot.definition.tasks.filter((t) => snapshot.state.tasks[t.id]?.status !== 'done'),
    // With workers the CLIs run on their machines, not here.
    { env, checkBinaries: !dispatch },
  );
  return registry;
}

/** The agents a worker runs, by name (`sprint worker --agents`). */
export async function workerAgents(names: readonly string[]): Promise<Record<string, Agent>> {
  const { ClaudeCodeAgent } = await import('@sprint/agents-claude');
  const make: Record<string, () => Agent> = {
    ...Object.fromEntries(
      Object.entries(builtinAgentFactories).map(([n, f]) => [n, () => f({ config: {} as never })]),
    ),
    claude: () => new ClaudeCodeAgent(),
  };
  return Object.fromEntries(names.map((n) => [n, make[n]!()]));
}
