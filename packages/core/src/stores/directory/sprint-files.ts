import type { Issue } from '../../model/errors.js';
import type { SprintDefinition } from '../../model/sprint.js';
import type { SprintState } from '../../model/state.js';
import { blockYamlLocator, readBlockYaml } from './block-yaml-reader.js';
import { readProgressYaml } from './progress-yaml.js';
import { type ProgressChecks, QUICK_CHECKS } from './quick-checks.js';
import { readSprintYaml } from './sprint-yaml.js';
import type { YamlSource } from './yaml-source.js';

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
 * Reads the two files, parsed, into a definition, a state and the journal
 * checkpoint; every problem (the parse's first) goes to `issues`, in the
 * files' order.
 */
export function readSprintFiles(
  input: SprintDirectoryInput,
  sprintSource: YamlSource,
  progressSource: YamlSource,
  checks: ProgressChecks,
  issues: Issue[],
): ParsedSprintDirectory {
  issues.push(...sprintSource.issues);
  const sprint = readSprintYaml(sprintSource, issues);
  issues.push(...progressSource.issues);
  const progress = readProgressYaml(progressSource, issues, checks);

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

/**
 * What `parseSprintDirectory` gives, read without zod: each file parsed by
 * `read` (by default only as `sprint` writes it, without loading a YAML
 * parser), the schema checks done by `QUICK_CHECKS`. `'unread'` when `read`
 * could not parse a file, `'to-report'` when there is anything to report:
 * `parseSprintDirectory` then reads the files and says what.
 */
export function readSprintDirectoryQuickly(
  input: SprintDirectoryInput,
  read: (text: string, file: string) => YamlSource | undefined = readWritten,
): ParsedSprintDirectory | 'unread' | 'to-report' {
  const sprintSource = read(input.sprintYaml, input.sprintYamlPath);
  const progressSource = read(input.progressYaml, input.progressYamlPath);
  if (!sprintSource || !progressSource) return 'unread';
  const issues: Issue[] = [];
  const parsed = readSprintFiles(input, sprintSource, progressSource, QUICK_CHECKS, issues);
  return issues.length ? 'to-report' : parsed;
}

/** A file as `sprint` writes it, parsed; `''` is an absent SPRINT.yaml, read as empty. */
function readWritten(text: string, file: string): YamlSource | undefined {
  const value = text === '' ? null : readBlockYaml(text);
  if (value === undefined) return undefined;
  // The config remembers where some values were written, for messages when a run starts.
  return { file, value, empty: value === null, locate: blockYamlLocator(text), issues: [] };
}
