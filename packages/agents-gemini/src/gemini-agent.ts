import { CliAgent } from '@sprint/core/agent-kit';
import { type GeminiState, INITIAL_GEMINI_STATE, readGeminiLine } from './gemini-events.js';
import { geminiOutcome } from './gemini-outcome.js';
import {
  type GeminiOptions,
  GeminiOptionsSchema,
  geminiArgs,
  SPRINT_GEMINI_KEYS,
} from './options.js';

/**
 * Google's `gemini` CLI as an {@link Agent}: one `gemini -p --output-format
 * stream-json` process per attempt, the prompt on stdin, every tool approved
 * (`--approval-mode yolo`, `--skip-trust`; works as root). The CLI has no
 * schema option, so the prompt asks for a final JSON object, and a missing or
 * invalid one is `invalid-output`.
 *
 * @example
 * ```ts
 * import { AgentRegistry } from '@sprint/core';
 * import { GeminiAgent } from '@sprint/agents-gemini';
 *
 * const agents = new AgentRegistry({ default: new GeminiAgent({ model: 'gemini-2.5-pro' }) });
 * ```
 */
export class GeminiAgent extends CliAgent<typeof GeminiOptionsSchema, GeminiState> {
  /** @throws InvalidOptionsError when an option has the wrong type or range. */
  constructor(options: GeminiOptions = {}) {
    super(
      {
        cli: 'gemini',
        optionsLabel: 'GeminiAgent options',
        schema: GeminiOptionsSchema,
        sprintKeys: SPRINT_GEMINI_KEYS,
        reporting: 'final-json',
        args: (o) => ({ args: geminiArgs(o) }),
        initialState: INITIAL_GEMINI_STATE,
        readLine: readGeminiLine,
        outcome: geminiOutcome,
      },
      options,
    );
  }
}
