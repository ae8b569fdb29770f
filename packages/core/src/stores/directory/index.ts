export { CONFIG_KEYS, DEFAULT_SPRINT_CONFIG, parseConfig } from './config-yaml.js';
export { renderProgressYaml, TASK_STATE_KEYS } from './progress-yaml.js';
export {
  type ParsedSprintDirectory,
  type ProgressMeta,
  parseSprintDirectory,
  type SprintDirectoryInput,
} from './sprint-directory.js';
export { renderSprintYaml, type SprintYamlInput } from './sprint-yaml.js';
export { type SourceRef, taskFromYaml, taskToYaml } from './task-yaml.js';
