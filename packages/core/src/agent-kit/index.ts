/**
 * What every agent CLI adapter shares: running the CLI as one process per
 * task, building the task prompt, reading the task report from its output and
 * turning limits and failures into an AgentResult. Imported as
 * `@sprint/core/agent-kit` by `@sprint/agents-claude`, `-codex`, `-gemini` and
 * `-opencode`.
 */
export {
  CliAgent,
  type CliAgentOptions,
  type CliAgentSpec,
  type CliArgs,
  type CliOutcomeInput,
  type CliRunState,
  cliEnvironment,
  plannedCliModel,
} from './cli-agent.js';
export { briefInput, parseJsonLine, truncate } from './cli-events.js';
export {
  CLI_PROCESS_OPTIONS,
  cliIdentityOptions,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_KILL_GRACE_MS,
  DEFAULT_TIMEOUT_MS,
} from './cli-options.js';
export {
  type ApiErrorPatterns,
  type ClassifiedError,
  type CliVerdicts,
  classifyApiMessage,
  cliVerdicts,
} from './cli-outcome.js';
export { type CliProcessOptions, runCliProcess } from './cli-process.js';
export { type CodexConfig, readCodexConfig } from './codex-config.js';
export type { EndedBy, ProcessEnd } from './process-end.js';
export { buildTaskPrompt, type PromptInput, type ResultReporting } from './prompt.js';
export {
  clip,
  type EndContext,
  failureResult,
  limitFailure,
  limitPhrase,
  type ReadReport,
  type ResultBase,
  readTaskReport,
  reportedResult,
  seconds,
  stderrNote,
} from './reported-result.js';
export { findResetTime } from './reset-time.js';
export { parseAgentOptions, withSprintOptions } from './sprint-overrides.js';
export {
  TASK_RESULT_JSON_SCHEMA,
  TASK_RESULT_STATUSES,
  type TaskResult,
  TaskResultSchema,
} from './task-result.js';
