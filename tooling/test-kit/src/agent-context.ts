import { type AgentContext, SprintConfigSchema, TaskSchema } from '@sprint/core';

/**
 * The context of one attempt at a `custom` task in `project`, for tests and
 * benches that call an agent's `run` directly (no runner): nothing listens to
 * its activity or pid, and nothing aborts it.
 */
export function agentContext(
  project: string,
  task: { id: string; description: string } = { id: 'task', description: 'Say done' },
): AgentContext {
  return {
    task: TaskSchema.parse({ ...task, type: 'custom', fields: { description: task.description } }),
    sprint: { id: 's', name: 's', goals: [], config: SprintConfigSchema.parse({}) },
    projectDir: project,
    stateFiles: [],
    attempt: 1,
    context: {},
    previousResults: [],
    signal: new AbortController().signal,
    emit: () => {},
    setPid: () => {},
  };
}
