export { CodexAgent } from './codex-agent.js';
export { codexArgs } from './codex-args.js';
export {
  type CodexState,
  type CodexStep,
  INITIAL_CODEX_STATE,
  readCodexLine,
} from './codex-events.js';
export {
  type CodexOutcomeInput,
  classifyApiError,
  codexOutcome,
  INSTALL_HINT,
  LOGIN_HINT,
} from './codex-outcome.js';
export {
  CODEX_SANDBOX_MODES,
  type CodexOptions,
  CodexOptionsSchema,
  type CodexSandboxMode,
  type ResolvedCodexOptions,
  SPRINT_CODEX_KEYS,
} from './options.js';
export { CODEX_RESULT_JSON_SCHEMA } from './result-schema.js';
