import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  AGENT_NAMES,
  type Agent,
  type AgentName,
  type AgentRegistry,
  buildAgentRegistry,
  InvalidSprintError,
  type PlannedModel,
  preflightAgents,
  type SprintSnapshot,
  type Task,
  unknownTaskAgentIssue,
} from '@sprint/core';

// Loaded on use only: nothing else in the CLI pays for the agent packages.
const shippedAgents = async (env: NodeJS.ProcessEnv) =>
  (await import('@sprint/agents')).agentFactories({}, env);

/**
 * The agents the CLI can run, built from the sprint's configuration (or
 * `override`, the `--agent` option) and checked against every task not yet
 * done: the same check a run makes before it starts, so `validate` and `run`
 * agree. Throws `UnknownAgentError` or, for a task's own agent, `InvalidSprintError`
 * (both exit 65) naming the agent and the choices,
 * `AgentNotInstalledError` (exit 69) naming the install command.
 */
export async function cliAgentRegistry(
  snapshot: Pick<SprintSnapshot, 'definition' | 'state' | 'files'>,
  override?: string,
  /** With `run --workers`: each agent name becomes this, which hands the task to a worker. */
  dispatch?: (agent: string) => Agent,
  /** Where the agent CLIs are looked for (PATH, SPRINT_<NAME>_BIN). */
  env: NodeJS.ProcessEnv = process.env,
): Promise<AgentRegistry> {
  const factories = dispatch
    ? Object.fromEntries(AGENT_NAMES.map((name) => [name, () => dispatch(name)]))
    : await shippedAgents(env);
  const open = snapshot.definition.tasks.filter(
    (t) => snapshot.state.tasks[t.id]?.status !== 'done',
  );
  // `--agent` runs every task; without it, a task's own agent must be one there is.
  if (!override) {
    const names = Object.keys(factories);
    const known = [
      ...AGENT_NAMES.filter((n) => names.includes(n)),
      ...names.filter((n) => !(AGENT_NAMES as readonly string[]).includes(n)),
    ];
    await checkTaskAgents(snapshot.files, open, known);
  }
  const registry = buildAgentRegistry({ config: snapshot.definition.config, factories, override });
  await preflightAgents(
    registry,
    open,
    // With workers the CLIs run on their machines, not here.
    { env, checkBinaries: !dispatch },
  );
  return registry;
}

/**
 * A task's own `agent:` names one of `known`, else `InvalidSprintError` (exit 65) naming the file
 * that holds the task (PROGRESS.yaml, or the sprint document), its line and field: the
 * registry's check knows neither, and its fix would point at SPRINT.yaml's config.agent.
 */
async function checkTaskAgents(
  files: readonly string[],
  tasks: readonly Task[],
  known: readonly string[],
): Promise<void> {
  const slip = tasks.find(
    (t) => typeof t.fields.agent === 'string' && !known.includes(t.fields.agent),
  );
  if (!slip) return;
  const file =
    files.find((f) => basename(f) === 'PROGRESS.yaml') ?? files.find((f) => f.endsWith('.md'));
  const text = file && (await readFile(file, 'utf8').catch(() => undefined));
  throw new InvalidSprintError([
    unknownTaskAgentIssue(
      slip.id,
      String(slip.fields.agent),
      known,
      file && text !== undefined ? { file, text } : undefined,
    ),
  ]);
}

/** The agents a worker runs, by name (`sprint worker --agents`): the same ones `sprint run` knows. */
export async function workerAgents(
  names: readonly AgentName[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Record<string, Agent>> {
  const make = await shippedAgents(env);
  return Object.fromEntries(names.map((n) => [n, make[n]()]));
}

/** The agent a task would run with, and the model when something names one (else the CLI's own default). */
export interface PlannedAgent {
  agent: string;
  /** What the agent's `plannedModel` says: the task's, the sprint's, the agent's options' or its CLI's configured model. */
  model?: PlannedModel;
}

/**
 * The agent and model each task would run with, by the same rule a run
 * uses (`buildAgentRegistry`, then the agent's own `plannedModel`, which
 * reads the CLI's configuration as the run does), without looking for a CLI
 * or starting anything. Throws `UnknownAgentError` (exit 65) as a run would.
 */
export async function plannedAgents(
  snapshot: Pick<SprintSnapshot, 'definition' | 'projectDir'>,
  override: string | undefined,
  /** The environment a run would have: where the CLIs' configuration files are found (HOME, CODEX_HOME...). */
  env: NodeJS.ProcessEnv,
): Promise<(task: Task) => PlannedAgent | undefined> {
  const { config } = snapshot.definition;
  const registry = buildAgentRegistry({ config, factories: await shippedAgents(env), override });
  const { projectDir } = snapshot;
  return (task) => {
    const agent = registry.find(task);
    if (!agent) return undefined;
    const model = agent.plannedModel?.({ task, config, projectDir, env });
    return model ? { agent: agent.name, model } : { agent: agent.name };
  };
}
