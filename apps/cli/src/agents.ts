import {
  AGENT_NAMES,
  type Agent,
  type AgentName,
  type AgentRegistry,
  buildAgentRegistry,
  preflightAgents,
  type SprintSnapshot,
} from '@sprint/core';

// Loaded on use only: nothing else in the CLI pays for the agent packages.
const shippedAgents = async (env: NodeJS.ProcessEnv) =>
  (await import('@sprint/agents')).agentFactories({}, env);

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
  const registry = buildAgentRegistry({
    config: snapshot.definition.config,
    factories: dispatch
      ? Object.fromEntries(AGENT_NAMES.map((name) => [name, () => dispatch(name)]))
      : await shippedAgents(env),
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

/** The agents a worker runs, by name (`sprint worker --agents`): the same ones `sprint run` knows. */
export async function workerAgents(
  names: readonly AgentName[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Record<string, Agent>> {
  const make = await shippedAgents(env);
  return Object.fromEntries(names.map((n) => [n, make[n]()]));
}
