export { ClaudeCodeAgent, claudeArgs } from './claude-code-agent.js';
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
export { type EndedBy, type ProcessEnd, runOutcome } from './run-outcome.js';
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
