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

  constructor(options: { default?: Agent; types?: Record<string, Agent> } = {}) {
    this.#default = options.default;
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

  /** The agent for a task type, or undefined when none is registered and there is no default. */
  find(type: string): Agent | undefined {
    return this.#byType.get(type) ?? this.#default;
  }

  /** The agent for a task; throws `UnknownAgentError` naming the type and the fix. */
  resolve(type: string): Agent {
    const agent = this.find(type);
    if (!agent) {
      const known = [...this.#byType.keys()];
      throw new UnknownAgentError(
        `No agent for task type "${type}"${known.length ? ` (registered: ${known.join(', ')})` : ''}. Register one for "${type}" or set a default agent.`,
      );
    }
    return agent;
  }

  /** Checks every task has an agent before anything runs. */
  assertCovers(tasks: readonly Task[]): void {
    const missing = [...new Set(tasks.filter((t) => !this.find(t.type)).map((t) => t.type))];
    if (missing.length) {
      throw new UnknownAgentError(
        `No agent for task type${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')} and no default agent. Register ${missing.length > 1 ? 'them' : 'it'} or set a default agent.`,
      );
    }
  }
}
