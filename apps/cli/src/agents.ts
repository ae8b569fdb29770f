import {
  AGENT_NAMES,
  type Agent,
  type AgentName,
  type AgentRegistry,
  buildAgentRegistry,
  preflightAgents,
  SPRINT_AGENT_KEYS,
  type SprintSnapshot,
  sprintModel,
  type Task,
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

/** The agent a task would run with, and the model when the sprint chooses one (else the agent's default). */
export interface PlannedAgent {
  agent: string;
  model?: string;
}

/**
 * The agent and model each task would run with, by the same rule a run
 * uses (`buildAgentRegistry`), without making an agent or looking for a CLI.
 * Throws `UnknownAgentError` (exit 65) as a run would.
 */
export function plannedAgents(
  snapshot: Pick<SprintSnapshot, 'definition'>,
  override?: string,
): (task: Task) => PlannedAgent | undefined {
  const { config } = snapshot.definition;
  const registry = buildAgentRegistry({
    config,
    factories: Object.fromEntries(
      AGENT_NAMES.map((name) => [name, () => ({ name, run: notRun }) satisfies Agent]),
    ),
    override,
  });
  return (task) => {
    const agent = registry.find(task)?.name;
    if (!agent) return undefined;
    // Only the agent CLIs take a model (noop and shell have none to choose).
    const model = SPRINT_AGENT_KEYS[agent]?.includes('model')
      ? sprintModel(task, agent, config)
      : undefined;
    return model ? { agent, model } : { agent };
  };
}

const notRun = (): never => {
  throw new Error('a planned agent does not run');
};
