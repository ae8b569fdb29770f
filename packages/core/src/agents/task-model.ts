import type { SprintConfig, Task } from '../model/sprint.js';
import type { PlannedModel } from './planned-model.js';

/**
 * The model the sprint chooses for a task run by `agent`: the task's own
 * `model:` field, else `model` under `config.<agent>`; undefined leaves it to
 * the agent's options, else the CLI's own default. Pure.
 *
 * @example
 * sprintModel({ fields: {} }, 'codex', { agents: {}, codex: { model: 'gpt-5-mini' } }) // 'gpt-5-mini'
 */
export function sprintModel(
  task: Pick<Task, 'fields'>,
  agent: string,
  config: Pick<SprintConfig, 'claude' | 'codex' | 'gemini' | 'opencode'>,
): string | undefined {
  return sprintModelChoice(task, agent, config)?.model;
}

/** {@link sprintModel} with what chose it: the task's field or the sprint's `config.<agent>`. Pure. */
export function sprintModelChoice(
  task: Pick<Task, 'fields'>,
  agent: string,
  config: Pick<SprintConfig, 'claude' | 'codex' | 'gemini' | 'opencode'>,
): PlannedModel | undefined {
  const own = task.fields.model;
  if (typeof own === 'string' && own) return { model: own, source: { kind: 'task' } };
  const options = Object.hasOwn(config, agent)
    ? config[agent as 'claude' | 'codex' | 'gemini' | 'opencode']
    : undefined;
  const configured = options?.model;
  return typeof configured === 'string' && configured
    ? { model: configured, source: { kind: 'sprint' } }
    : undefined;
}
