export { ClaudeCodeAgent, claudeArgs } from './claude-code-agent.js';
export { type CliProcessOptions, runCliProcess } from './cli-process.js';
export {
  type ClaudeCodeOptions,
  ClaudeCodeOptionsSchema,
  DEFAULT_ALLOWED_TOOLS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_KILL_GRACE_MS,
  DEFAULT_TIMEOUT_MS,
  PERMISSION_MODES,
  type PermissionMode,
  type ResolvedClaudeCodeOptions,
} from './options.js';
export { buildTaskPrompt, type PromptInput, type ResultReporting } from './prompt.js';
export {
  clip,
  type EndContext,
  failureResult,
  limitFailure,
  type ReadReport,
  type ResultBase,
  readTaskReport,
  reportedResult,
  seconds,
  stderrNote,
} from './reported-result.js';
export { findResetTime } from './reset-time.js';
export { type EndedBy, type ProcessEnd, runOutcome } from './run-outcome.js';
export { parseAgentOptions, withSprintOptions } from './sprint-overrides.js';
export {
  type ApiRetry,
  INITIAL_STREAM_STATE,
  type PermissionDenial,
  type ResultMessage,
  readStreamLine,
  type StreamState,
  type StreamStep,
  shortInput,
} from './stream-json.js';
export {
  TASK_RESULT_JSON_SCHEMA,
  TASK_RESULT_STATUSES,
  type TaskResult,
  TaskResultSchema,
} from './task-result.js';
