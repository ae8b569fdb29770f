import { InvalidSprintError, type Issue } from '../../model/errors.js';
import type { SprintDefinition } from '../../model/sprint.js';
import type { SprintState } from '../../model/state.js';
import { readProgressYaml } from './progress-yaml.js';
import { readSprintYaml } from './sprint-yaml.js';
import { readYamlSource } from './yaml-source.js';

/** Where the directory store resumes its journal: the last event folded into PROGRESS.yaml. */
interface ProgressMeta {
  /** PROGRESS.yaml's `sprint-id` as written (else SPRINT.yaml's, else the directory name). */
  sprintId: string;
  logSeq: number;
  logOffset: number;
}

/** A sprint directory's two files, read into the model. */
export interface ParsedSprintDirectory {
  /** `id` is the directory name; the tasks come from PROGRESS.yaml, the rest from SPRINT.yaml. */
  definition: SprintDefinition;
  state: SprintState;
  meta: ProgressMeta;
}

export interface SprintDirectoryInput {
  /** The directory's name, such as `2026-01-15_auth`: the sprint's id. */
  dirName: string;
  sprintYaml: string;
  /** For messages: the path shown for SPRINT.yaml. */
  sprintYamlPath: string;
  progressYaml: string;
  progressYamlPath: string;
}

/**
 * Reads SPRINT.yaml and PROGRESS.yaml (as text; this does no file access) into
 * a definition, a state and the journal checkpoint. Files in the original
 * plugin's shape read as they are; this project's extra fields are read back
 * exactly as `renderProgressYaml` wrote them.
 *
 * @throws InvalidSprintError listing every problem in both files, each with
 * its file, line, field and a fix.
 * @example
 * const { definition, state } = parseSprintDirectory({
 *   dirName: '2026-01-15_auth',
 *   sprintYaml, sprintYamlPath: '.claude/sprints/2026-01-15_auth/SPRINT.yaml',
 *   progressYaml, progressYamlPath: '.claude/sprints/2026-01-15_auth/PROGRESS.yaml',
 * });
 */
export function parseSprintDirectory(input: SprintDirectoryInput): ParsedSprintDirectory {
  const issues: Issue[] = [];
  const sprintSource = readYamlSource(input.sprintYaml, input.sprintYamlPath);
  issues.push(...sprintSource.issues);
  const sprint = readSprintYaml(sprintSource, issues);
  const progressSource = readYamlSource(input.progressYaml, input.progressYamlPath);
  issues.push(...progressSource.issues);
  const progress = readProgressYaml(progressSource, issues);
  if (issues.length) throw new InvalidSprintError(issues);

  const definition: SprintDefinition = {
    id: input.dirName,
    // Without SPRINT.yaml (the plugin's PROGRESS.yaml alone), PROGRESS.yaml's sprint-id names it.
    name: sprint.name ?? sprint.sprintId ?? progress.sprintId ?? input.dirName,
    goals: sprint.goals,
    config: sprint.config,
    tasks: progress.tasks,
  };
  if (sprint.notes !== undefined) definition.notes = sprint.notes;
  if (sprint.created !== undefined) definition.created = sprint.created;
  if (sprint.owner !== undefined) definition.owner = sprint.owner;
  return {
    definition,
    state: { ...progress.state, lastSeq: progress.logSeq },
    meta: {
      sprintId: progress.sprintId ?? sprint.sprintId ?? input.dirName,
      logSeq: progress.logSeq,
      logOffset: progress.logOffset,
    },
  };
}
