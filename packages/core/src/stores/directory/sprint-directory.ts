import { HumanNeededSchema, TokenUsageSchema } from '../../model/agent-result.js';
import { InvalidSprintError, type Issue } from '../../model/errors.js';
import { StopReasonSchema } from '../../model/events.js';
import { AttemptSchema } from '../../model/state.js';
import type { ProgressChecks } from './quick-checks.js';
import {
  type ParsedSprintDirectory,
  readSprintFiles,
  type SprintDirectoryInput,
} from './sprint-files.js';
import { readYamlSource } from './yaml-source.js';

/** The model's own schemas, which say what is wrong with a value. */
const MODEL_CHECKS: ProgressChecks = {
  attempt: AttemptSchema,
  tokens: TokenUsageSchema,
  question: HumanNeededSchema,
  stopReason: StopReasonSchema,
};

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
  const parsed = readSprintFiles(
    input,
    readYamlSource(input.sprintYaml, input.sprintYamlPath),
    readYamlSource(input.progressYaml, input.progressYamlPath),
    MODEL_CHECKS,
    issues,
  );
  if (issues.length) throw new InvalidSprintError(issues);
  return parsed;
}
