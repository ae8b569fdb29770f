import { homedir } from 'node:os';
import { sep } from 'node:path';
import type { SprintConfig, Task } from '../model/sprint.js';

/** What chose the model an agent runs a task with. */
export type ModelSource =
  /** The task's own `model:` field. */
  | { kind: 'task' }
  /** `model` under the sprint's `config.<agent>`. */
  | { kind: 'sprint' }
  /** The agent's options, set by the program that runs the sprint (a server's configuration). */
  | { kind: 'options' }
  /** The agent CLI's own configuration file, e.g. codex's `~/.codex/config.toml`. */
  | { kind: 'file'; file: string }
  /** An environment variable holding the CLI's configuration, e.g. `OPENCODE_CONFIG_CONTENT`. */
  | { kind: 'env'; name: string };

/** The model an agent would run a task with, and what chose it. */
export interface PlannedModel {
  model: string;
  source: ModelSource;
}

/** What an agent reads to say which model it would run a task with. */
export interface ModelPlanInput {
  task: Task;
  config: SprintConfig;
  /** Where the agent would work (its `cwd` option wins): project configuration is found from here. */
  projectDir: string;
  /** The environment the run inherits (the agent's own `env` option is added over it). */
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * `model gpt-5, from ~/.codex/config.toml`: the planned model as every front
 * end says it, with a file under `home` shortened to `~`. Pure but for the
 * default `home`.
 */
export function describePlannedModel(
  agent: string,
  planned: PlannedModel,
  home: string | undefined = homedir(),
): string {
  return `model ${planned.model}, from ${describeSource(agent, planned.source, home)}`;
}

function describeSource(agent: string, source: ModelSource, home: string | undefined): string {
  switch (source.kind) {
    case 'task':
      return "the task's model field";
    case 'sprint':
      return `the sprint's config.${agent}`;
    case 'options':
      return `the ${agent} agent's options`;
    case 'env':
      return `$${source.name}`;
    case 'file':
      return home && source.file.startsWith(home + sep)
        ? `~${source.file.slice(home.length)}`
        : source.file;
  }
}
