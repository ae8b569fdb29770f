import type { AgentResult } from '@sprint/core';
import {
  type ApiErrorPatterns,
  type ClassifiedError,
  type CliOutcomeInput,
  classifyApiMessage,
  clip,
  cliVerdicts,
  stderrNote,
} from '@sprint/core/agent-kit';
import type { CodexState } from './codex-events.js';

export const INSTALL_HINT =
  'Install it with `npm i -g @openai/codex` (or `pnpm add -D @openai/codex`), ' +
  'or set SPRINT_CODEX_BIN to the path of a codex executable.';

export const LOGIN_HINT =
  'Set CODEX_API_KEY (or OPENAI_API_KEY) to a valid key, or log in once with `codex login` ' +
  '(`codex login --with-api-key` on headless machines).';

/** Everything the verdict is made from. */
export type CodexOutcomeInput = CliOutcomeInput<CodexState>;

/**
 * Turns a codex run into an AgentResult. Pure. Success only from the final
 * message parsed as the task report with `status: completed`; a turn that
 * failed is classified from its message; an exit without a report is
 * `invalid-output` or a crash, never success.
 */
export function codexOutcome(input: CodexOutcomeInput): AgentResult {
  const { state, end } = input;
  const { fail, limit, now, finalMessage, crash } = cliVerdicts(input, {
    name: 'codex',
    installHint: INSTALL_HINT,
    sessionId: state.threadId,
  });

  if (limit) {
    // A run stopped while the CLI retried names why it was stuck.
    const stuck = state.lastError ? classifyApiError(state.lastError, now) : undefined;
    if (stuck && (end.endedBy === 'timeout' || end.endedBy === 'idle')) {
      return fail(
        stuck.kind,
        `${limit.message} It was retrying: ${clip(state.lastError ?? '', 300)}`,
        stuck.extra,
      );
    }
    return fail(limit.kind, limit.message);
  }
  if (state.turnFailed !== undefined) {
    const c = classifyApiError(state.turnFailed, now);
    return fail(c.kind, c.message, c.extra);
  }
  if (state.lastMessage !== undefined) return finalMessage(state.lastMessage);
  const stderr = end.stderrTail;
  if (/not logged in|api key|OPENAI_API_KEY|CODEX_API_KEY|401|unauthorized/i.test(stderr)) {
    return fail('auth', `The codex CLI could not authenticate.${stderrNote(end)} ${LOGIN_HINT}`);
  }
  if (end.exitCode === 0 && state.turnCompleted) {
    return fail('invalid-output', 'The codex CLI finished its turn without a final message.');
  }
  return crash();
}

/**
 * Classifies the CLI's message for a failed turn (seen from codex 0.171:
 * `unexpected status 401 Unauthorized: ...`, `exceeded retry limit, last
 * status: 429 ...`, `rate limit exceeded: ... try again in 2.5s`, `Quota
 * exceeded. ...`, `Selected model is at capacity. ...`). Pure.
 */
export function classifyApiError(message: string, now: Date = new Date()): ClassifiedError {
  return classifyApiMessage(CODEX_ERRORS, message, now);
}

const CODEX_ERRORS: ApiErrorPatterns = {
  auth: /\b(401|403)\b|unauthori[sz]ed|forbidden|incorrect api key|invalid_api_key|not logged in/i,
  usageLimit:
    /quota exceeded|insufficient_quota|usage limit|usage_limit_reached|hit your usage limit/i,
  rateLimit: /\b429\b|rate.?limit|too many requests/i,
  retryAfter: /try again in (\d+(?:\.\d+)?)\s*(ms|s|m)\b/i,
  overloaded: /\b(502|503|529)\b|overloaded|at capacity|high demand|server_is_overloaded/i,
  apiError: /unexpected status \d+|\b(400|404|500)\b/i,
  authBy: 'The OpenAI API',
  by: 'the API',
  loginHint: LOGIN_HINT,
  other: "The codex CLI's turn failed",
};
