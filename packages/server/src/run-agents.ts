import {
  type AgentNotInstalledError,
  type AgentRegistry,
  type SprintConfig,
  type Task,
  UnknownAgentError,
} from '@sprint/core';
import type { AgentSetup } from './app.js';
import { ApiError } from './problem.js';

/** How a request picks one agent for every task: the fix each refusal below names. */
const pickOne = (names: readonly string[]) =>
  `send "agent" in the body to run every task with one of this server's agents: ${names.join(', ') || '(none)'}, e.g. {"agent":"${names[0] ?? 'noop'}"}`;

const agentField = (names: readonly string[]) => [
  { field: 'agent', message: `expected one of ${names.join(', ')}` },
];

/**
 * The registry for a run of a sprint with this configuration, `override` (the body's
 * `agent`) running every task; refused in the API's terms (422 naming the body field to
 * set and the agents there are) when a task would have no agent: the sprint names one
 * this server does not offer, or none, and the server has no default.
 */
export function runRegistry(
  setup: AgentSetup,
  config: SprintConfig,
  tasks: readonly Task[],
  override: string | undefined,
): AgentRegistry {
  const { names } = setup;
  let registry: AgentRegistry;
  try {
    registry = setup.registry(config, override);
  } catch (error) {
    if (!(error instanceof UnknownAgentError)) throw error;
    // Where the sprint names it (`config.agent`, `config.agents.<type>`), and which.
    const at = error.issues[0]?.field ?? 'config.agent';
    const name = /"([^"]*)"/.exec(error.message)?.[1] ?? '?';
    throw new ApiError(
      422,
      'UNKNOWN_AGENT',
      `The sprint's ${at} names agent "${name}", which this server does not offer: ${pickOne(names)}.`,
      { issues: agentField(names), cause: error },
    );
  }
  if (override !== undefined) return registry;
  const own = tasks.find((t) => typeof t.fields.agent === 'string' && !registry.find(t));
  if (own) {
    throw new ApiError(
      422,
      'UNKNOWN_AGENT',
      `Task ${own.id} names agent "${String(own.fields.agent)}" (its field agent), which this server does not offer: ${pickOne(names)}.`,
      { issues: agentField(names) },
    );
  }
  const types = [...new Set(tasks.filter((t) => !registry.find(t)).map((t) => t.type))];
  if (types.length) {
    throw new ApiError(
      422,
      'AGENT_REQUIRED',
      `No agent for task type${types.length > 1 ? 's' : ''} ${types.map((t) => `"${t}"`).join(', ')}: the sprint names none (config.agent, config.agents) and this server has no default agent; ${pickOne(names)}.`,
      { issues: agentField(names) },
    );
  }
  return registry;
}

/**
 * `AgentNotInstalledError` in the API's terms: the program is missing on the server's
 * machine (its operator installs it), and the client may pick another agent.
 */
export function agentNotInstalled(
  error: AgentNotInstalledError,
  names: readonly string[],
): ApiError {
  const missing = error.missing.map((m) => m.agent);
  const others = names.filter((n) => !missing.includes(n));
  return new ApiError(
    503,
    'AGENT_NOT_INSTALLED',
    `${error.missing
      .map(
        (m) =>
          `The ${m.agent} agent's program ("${m.binary}") is not installed on the server; its operator can install it (${m.install}) or set ${m.binEnv}.`,
      )
      .join(' ')} Meanwhile, ${others.length ? pickOne(others) : 'no other agent is offered'}.`,
    { cause: error },
  );
}
