import type { AgentResult } from '@sprint/core';
import {
  type ApiErrorPatterns,
  type ClassifiedError,
  type CliOutcomeInput,
  classifyApiMessage,
  cliVerdicts,
  stderrNote,
} from '@sprint/core/agent-kit';
import type { OpencodeState } from './opencode-events.js';

export const INSTALL_HINT =
  'Install it with `npm i -g opencode-ai` (or `pnpm add -D opencode-ai`, allowing its install script), ' +
  'or set SPRINT_OPENCODE_BIN to the path of an opencode executable.';

export const LOGIN_HINT =
  "Log in with `opencode auth login`, or set the provider's key (e.g. OPENAI_API_KEY, ANTHROPIC_API_KEY) in the environment.";

export type OpencodeOutcomeInput = CliOutcomeInput<OpencodeState>;

/**
 * Turns an opencode run into an AgentResult. Pure. The CLI has no schema
 * option: success only when its final message holds a task report with
 * `status: completed`; a missing or invalid one is `invalid-output`.
 */
export function opencodeOutcome(input: OpencodeOutcomeInput): AgentResult {
  const { state, end } = input;
  const { fail, limit, finalMessage, crash } = cliVerdicts(input, {
    name: 'opencode',
    installHint: INSTALL_HINT,
    sessionId: state.sessionId,
  });

  if (limit) return fail(limit.kind, limit.message);
  if (state.error !== undefined) {
    const c = classifyOpencodeError(state.error, input.now);
    return fail(c.kind, c.message, c.extra);
  }
  if (state.finishReason === 'length') {
    return fail(
      'max-turns',
      'The model ran out of output tokens before it finished (finish reason length).',
    );
  }
  if (end.exitCode === 0 && state.finishReason) return finalMessage(state.message);
  if (/api key|unauthori[sz]ed|\b401\b|auth login/i.test(end.stderrTail)) {
    return fail('auth', `The opencode CLI could not authenticate.${stderrNote(end)} ${LOGIN_HINT}`);
  }
  return crash();
}

/** Classifies an opencode `error` event (`APIError: ...`, `ProviderAuthError: ...`). Pure. */
export function classifyOpencodeError(message: string, now: Date = new Date()): ClassifiedError {
  return classifyApiMessage(OPENCODE_ERRORS, message, now);
}

const OPENCODE_ERRORS: ApiErrorPatterns = {
  auth: /ProviderAuthError|\b(401|403)\b|unauthori[sz]ed|api key/i,
  usageLimit: /quota|usage limit/i,
  rateLimit: /\b429\b|rate.?limit|too many requests/i,
  retryAfter: /(?:try again|retry) in (\d+(?:\.\d+)?)\s*(ms|s)\b/i,
  overloaded: /\b(503|529)\b|overloaded/i,
  apiError: /APIError|\b(400|404|500)\b/i,
  authBy: 'The provider',
  by: 'the provider',
  loginHint: LOGIN_HINT,
  other: 'The opencode CLI reported an error',
};
