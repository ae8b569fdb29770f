export { GeminiAgent } from './gemini-agent.js';
export {
  type GeminiState,
  type GeminiStep,
  INITIAL_GEMINI_STATE,
  readGeminiLine,
} from './gemini-events.js';
export {
  classifyGeminiError,
  type GeminiOutcomeInput,
  geminiOutcome,
  INSTALL_HINT,
  LOGIN_HINT,
} from './gemini-outcome.js';
export {
  type GeminiOptions,
  GeminiOptionsSchema,
  geminiArgs,
  type ResolvedGeminiOptions,
  SPRINT_GEMINI_KEYS,
} from './options.js';
