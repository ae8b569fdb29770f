export { OpencodeAgent } from './opencode-agent.js';
export {
  INITIAL_OPENCODE_STATE,
  type OpencodeState,
  type OpencodeStep,
  readOpencodeLine,
} from './opencode-events.js';
export {
  classifyOpencodeError,
  INSTALL_HINT,
  LOGIN_HINT,
  type OpencodeOutcomeInput,
  opencodeOutcome,
} from './opencode-outcome.js';
export {
  type OpencodeOptions,
  OpencodeOptionsSchema,
  opencodeArgs,
  type ResolvedOpencodeOptions,
  SPRINT_OPENCODE_KEYS,
} from './options.js';
