import { CliAgent } from '@sprint/core/agent-kit';
import { opencodeConfiguredModel } from './opencode-config.js';
import { INITIAL_OPENCODE_STATE, type OpencodeState, readOpencodeLine } from './opencode-events.js';
import { opencodeOutcome } from './opencode-outcome.js';
import {
  type OpencodeOptions,
  OpencodeOptionsSchema,
  opencodeArgs,
  SPRINT_OPENCODE_KEYS,
} from './options.js';

/**
 * The `opencode` CLI as an {@link Agent}: one `opencode run --format json`
 * process per attempt, the prompt on stdin, permissions approved with
 * `--auto` (works as root). The CLI has no schema option, so the prompt asks
 * for a final JSON object, and a missing or invalid one is `invalid-output`.
 * The cost is opencode's own when it prices the model, else estimated from
 * the model given, or else the one opencode's configuration names.
 *
 * @example
 * ```ts
 * import { AgentRegistry } from '@sprint/core';
 * import { OpencodeAgent } from '@sprint/agents-opencode';
 *
 * const agents = new AgentRegistry({ default: new OpencodeAgent({ model: 'anthropic/claude-sonnet-4-5' }) });
 * ```
 */
export class OpencodeAgent extends CliAgent<typeof OpencodeOptionsSchema, OpencodeState> {
  /** @throws InvalidOptionsError when an option has the wrong type or range. */
  constructor(options: OpencodeOptions = {}) {
    super(
      {
        cli: 'opencode',
        optionsLabel: 'OpencodeAgent options',
        schema: OpencodeOptionsSchema,
        sprintKeys: SPRINT_OPENCODE_KEYS,
        reporting: 'final-json',
        args: (o) => ({ args: opencodeArgs(o) }),
        initialState: INITIAL_OPENCODE_STATE,
        readLine: readOpencodeLine,
        outcome: opencodeOutcome,
        // Its events never name the model: without `--model`, the one its configuration names.
        configuredModel: (o, env, cwd) => opencodeConfiguredModel(env, cwd, o.opencodeAgent),
      },
      options,
    );
  }
}
