import type { Issue } from '../../model/errors.js';
import type { SprintConfig } from '../../model/sprint.js';
import { readConfig } from './config-yaml.js';
import {
  checkKeys,
  FieldCursor,
  isRecord,
  readMap,
  readString,
  readStringList,
} from './field-cursor.js';
import type { YamlSource } from './yaml-source.js';

const SPRINT_KEYS = ['sprint-id', 'name', 'created', 'owner', 'config', 'github', 'goals', 'notes'];

/** What SPRINT.yaml says about a sprint. */
export interface SprintYaml {
  sprintId?: string;
  name?: string;
  created?: string;
  owner?: string;
  goals: string[];
  notes?: string;
  config: SprintConfig;
}

/** Reads a parsed SPRINT.yaml; problems go to `issues`. An empty file is a sprint with defaults. */
export function readSprintYaml(source: YamlSource, issues: Issue[]): SprintYaml {
  const c = new FieldCursor(source.file, [], issues, source.locate);
  const out: SprintYaml = { goals: [], config: { autoCommit: true, agents: {} } };
  if (source.value === undefined || source.value === null) return out;
  if (!isRecord(source.value)) {
    c.issue(
      'expected "key: value" lines at the top of SPRINT.yaml',
      'start the file with "name: <sprint name>"',
    );
    return out;
  }
  const map = source.value;
  // SPRINT.yaml is the user's file and is never rewritten: other keys are left alone.
  checkKeys(map, c, SPRINT_KEYS, { strict: false, what: 'key' });
  const id = map['sprint-id'];
  out.sprintId =
    typeof id === 'number' ? String(id) : readString(id, c.at('sprint-id'), '2026-01-15_my-sprint');
  out.name = readString(map.name, c.at('name'), 'Auth hardening');
  out.created = readString(map.created, c.at('created'), '2026-01-15T09:00:00Z');
  out.owner = readString(map.owner, c.at('owner'), 'alice');
  readMap(map.github, c.at('github'));
  out.goals = readStringList(map.goals, c.at('goals')) ?? [];
  out.notes = readString(map.notes, c.at('notes'));
  out.config = readConfig(map.config, c.at('config'));
  return out;
}
