import { InvalidSprintError, type Issue } from '../../model/errors.js';
import { toBlockYaml } from './block-yaml.js';
import { configToYaml, DEFAULT_SPRINT_CONFIG } from './config-yaml.js';
import { readSprintYaml } from './sprint-yaml.js';
import { readYamlSource } from './yaml-source.js';

/** What `sprint init` knows when it makes SPRINT.yaml. */
export interface SprintYamlInput {
  sprintId: string;
  name: string;
  created: string;
  owner?: string;
  goals: string[];
  notes?: string;
  /** Camel- or kebab-case keys; laid over the original defaults. */
  config?: Record<string, unknown>;
}

/**
 * SPRINT.yaml for a new sprint, with the original plugin's config defaults
 * (max-tasks 10, time-box 4h, auto-commit, context-cache, no parallel) under
 * whatever `config` sets.
 *
 * @throws InvalidSprintError when `config` holds unknown keys or wrong values.
 */
export function renderSprintYaml(input: SprintYamlInput): string {
  const data: Record<string, unknown> = {
    'sprint-id': input.sprintId,
    name: input.name,
    created: input.created,
  };
  if (input.owner !== undefined) data.owner = input.owner;
  data.config = { ...DEFAULT_SPRINT_CONFIG, ...configToYaml(input.config ?? {}) };
  data.goals = [...input.goals];
  if (input.notes !== undefined) data.notes = input.notes;
  const text = toBlockYaml(data);
  // Whatever is written must read back: check it the way a load will.
  const issues: Issue[] = [];
  const source = readYamlSource(text, 'SPRINT.yaml');
  issues.push(...source.issues);
  readSprintYaml(source, issues);
  if (issues.length) throw new InvalidSprintError(issues);
  return text;
}
