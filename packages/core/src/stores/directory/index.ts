export { CONFIG_KEYS, parseConfig } from './config-yaml.js';
export { renderProgressYaml } from './progress-yaml.js';
export { renderSprintYaml } from './render-sprint-yaml.js';
export { parseSprintDirectory } from './sprint-directory.js';
export { taskFromYaml, taskToYaml } from './task-yaml.js';
export { forgetYamlSource } from './yaml-source.js';
