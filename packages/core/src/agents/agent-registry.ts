import { UnknownAgentError } from '../model/errors.js';
import type { Task } from '../model/sprint.js';
import type { Agent } from './agent.js';

/**
 * Maps task types to agents, with a default for types nobody registered.
 *
 * @example
 * const agents = new AgentRegistry({ default: claude })
 *   .register('update-docs', docsAgent);
 */
export class AgentRegistry {
  readonly #byType = new Map<string, Agent>();
  #default: Agent | undefined;

  readonly #named: ((name: string) => Agent | undefined) | undefined;

  /**
   * @param options.named Looks up an agent by name, for a task that names its
   *   own (`agent:` in the task). Without it, a task's `agent:` is not honoured.
   */
  constructor(
    options: {
      default?: Agent;
      types?: Record<string, Agent>;
      named?: (name: string) => Agent | undefined;
    } = {},
  ) {
    this.#default = options.default;
    this.#named = options.named;
    for (const [type, agent] of Object.entries(options.types ?? {})) this.register(type, agent);
  }

  register(type: string, agent: Agent): this {
    this.#byType.set(type, agent);
    return this;
  }

  setDefault(agent: Agent | undefined): this {
    this.#default = agent;
    return this;
  }

  get defaultAgent(): Agent | undefined {
    return this.#default;
  }

  /**
   * The agent for a task (its own `agent:` field first, when the registry
   * looks names up) or a task type; undefined when none is registered and
   * there is no default.
   */
  find(task: string | Pick<Task, 'type' | 'fields'>): Agent | undefined {
    if (typeof task === 'string') return this.#byType.get(task) ?? this.#default;
    const own = task.fields?.agent;
    if (this.#named && typeof own === 'string' && own) return this.#named(own);
    return this.#byType.get(task.type) ?? this.#default;
  }

  /** The agent for a task or task type; throws `UnknownAgentError` naming the type and the fix. */
  resolve(task: string | Pick<Task, 'type' | 'fields'>): Agent {
    const agent = this.find(task);
    const type = typeof task === 'string' ? task : task.type;
    if (!agent) {
      const own = typeof task === 'string' ? undefined : task.fields?.agent;
      if (typeof own === 'string' && own) {
        throw new UnknownAgentError(`Unknown agent "${own}" named by a task's agent field.`);
      }
      const known = [...this.#byType.keys()];
      throw new UnknownAgentError(
        `No agent for task type "${type}"${known.length ? ` (registered: ${known.join(', ')})` : ''}. Register one for "${type}" or set a default agent.`,
      );
    }
    return agent;
  }

  /** Checks every task has an agent before anything runs. */
  assertCovers(tasks: readonly Task[]): void {
    const unknownOwn = tasks.find(
      (t) => typeof t.fields?.agent === 'string' && this.#named && !this.find(t),
    );
    if (unknownOwn) {
      throw new UnknownAgentError(
        `Unknown agent "${String(unknownOwn.fields.agent)}" in task ${unknownOwn.id} (field agent). Use one of the configured agents or remove the field.`,
      );
    }
    const missing = [...new Set(tasks.filter((t) => !this.find(t)).map((t) => t.type))];
    if (missing.length) {
      throw new UnknownAgentError(
        `No agent for task type${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} and no default agent. Register ${missing.length > 1 ? 'them' : 'it'} or set a default agent.`,
      );
    }
  }
}
