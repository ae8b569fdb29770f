import type { Agent } from '../agents/agent.js';
import { AgentRegistry } from '../agents/agent-registry.js';
import { NoopAgent, ShellAgent } from '../agents/builtin-agents.js';
import { gitCommitHook } from '../hooks/git-commit-hook.js';
import type { SprintHook } from '../hooks/hook.js';
import { verifyHook } from '../hooks/verify-hook.js';
import { UnknownAgentError } from '../model/errors.js';
import type { SprintConfig, Task } from '../model/sprint.js';
import { AgentNotInstalledError, missingAgentBinaries } from './agent-doctor.js';

/** Makes an agent by name from the sprint's configuration. */
export type AgentFactory = (options: { config: SprintConfig }) => Agent;

/** The agents @sprint/core ships: `noop` and `shell`. Apps add `claude`. */
export const builtinAgentFactories: Readonly<Record<string, AgentFactory>> = {
  noop: () => new NoopAgent(),
  shell: () => new ShellAgent(),
};

/**
 * The registry for a sprint: `override` (the CLI's `--agent`) runs every
 * task; otherwise a task's own `agent:` field, then the sprint's `agents` map
 * per task type, and `agent` is the default (else `defaultAgent`, else `claude` when a factory exists).
 * Unknown names fail here, before anything runs.
 */
export function buildAgentRegistry(options: {
  config: SprintConfig;
  factories: Readonly<Record<string, AgentFactory>>;
  override?: string;
  defaultAgent?: string;
}): AgentRegistry {
  const { config, factories } = options;
  const made = new Map<string, Agent>();
  const make = (name: string, where: string): Agent => {
    const existing = made.get(name);
    if (existing) return existing;
    // Own keys only: `constructor` or `toString` is a name nobody provides, not Object's.
    const factory = Object.hasOwn(factories, name) ? factories[name] : undefined;
    if (typeof factory !== 'function') {
      const known = Object.keys(factories).join(', ');
      const at = config.where?.[where];
      const issue = {
        file: at?.file,
        line: at?.line,
        field: where,
        message: `unknown agent "${name}"`,
        fix: `use one of: ${known}`,
      };
      throw new UnknownAgentError(
        `Unknown agent "${name}" (${where}${at?.file ? ` in ${at.file}${at.line ? `:${at.line}` : ''}` : ''}); known agents: ${known}`,
        [issue],
      );
    }
    const agent = factory({ config });
    made.set(name, agent);
    return agent;
  };
  if (options.override)
    return new AgentRegistry({ default: make(options.override, 'the agent option') });
  const defaultName =
    config.agent ?? options.defaultAgent ?? (factories.claude ? 'claude' : undefined);
  const registry = new AgentRegistry({
    default: defaultName ? make(defaultName, 'config.agent') : undefined,
    // A task's own `agent:` field picks by name among the same factories.
    named: (name) => (factories[name] ? make(name, 'the task field agent') : undefined),
  });
  for (const [type, name] of Object.entries(config.agents)) {
    registry.register(type, make(name, `config.agents.${type}`));
  }
  return registry;
}

/** The built-in hooks: `verify` then `git-commit` (when auto-commit is on). */
export function defaultHooks(config?: Pick<SprintConfig, 'autoCommit'>): SprintHook[] {
  return [verifyHook(), gitCommitHook({ enabled: config?.autoCommit !== false })];
}

/**
 * The check `validate` and `run` share before anything starts: every task
 * not yet done has an agent (`UnknownAgentError`), and every agent CLI those
 * tasks would run is installed (`AgentNotInstalledError`, naming the install
 * command). The sprint's `config.<agent>` keys are checked when it is read.
 */
export async function preflightAgents(
  registry: AgentRegistry,
  tasks: readonly Task[],
  options: { env?: NodeJS.ProcessEnv; checkBinaries?: boolean } = {},
): Promise<void> {
  registry.assertCovers(tasks);
  if (options.checkBinaries === false) return;
  const names = tasks.map((t) => registry.find(t)?.name).filter((n) => n !== undefined);
  const missing = await missingAgentBinaries(names, options.env);
  if (missing.length) throw new AgentNotInstalledError(missing);
}
