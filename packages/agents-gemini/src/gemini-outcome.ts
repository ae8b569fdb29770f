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
import type { GeminiState } from './gemini-events.js';

export const INSTALL_HINT =
  'Install it with `npm i -g @google/gemini-cli` (or `pnpm add -D @google/gemini-cli`), ' +
  'or set SPRINT_GEMINI_BIN to the path of a gemini executable.';

export const LOGIN_HINT =
  'Set GEMINI_API_KEY (or GOOGLE_API_KEY with GOOGLE_GENAI_USE_VERTEXAI=true), ' +
  'or log in once with `gemini` and choose "Login with Google".';

/** The CLI's exit codes (gemini-cli `FatalError`s). */
const EXIT = { auth: 41, input: 42, sandbox: 44, config: 52, turnLimit: 53 } as const;

export type GeminiOutcomeInput = CliOutcomeInput<GeminiState>;

/**
 * Turns a gemini run into an AgentResult. Pure. The CLI has no schema option:
 * success only when its final message holds a task report with `status:
 * completed`; a missing or invalid one is `invalid-output`, never success.
 */
export function geminiOutcome(input: GeminiOutcomeInput): AgentResult {
  const { state, end } = input;
  const { fail, limit, now, finalMessage, crash } = cliVerdicts(input, {
    name: 'gemini',
    installHint: INSTALL_HINT,
    sessionId: state.sessionId,
  });

  if (limit) {
    const stuck = state.lastError ? classifyGeminiError(state.lastError, now) : undefined;
    if (stuck && stuck.kind !== 'crash' && (end.endedBy === 'timeout' || end.endedBy === 'idle')) {
      return fail(
        stuck.kind,
        `${limit.message} It was retrying: ${clip(state.lastError ?? '', 300)}`,
        stuck.extra,
      );
    }
    return fail(limit.kind, limit.message);
  }
  if (state.result?.status === 'success') return finalMessage(state.message);
  if (end.exitCode === EXIT.turnLimit) {
    return fail(
      'max-turns',
      `The task used up its turns (maxSessionTurns).${stderrNote(end)} Raise the limit or split the task.`,
    );
  }
  const message = state.result?.error?.message ?? state.lastError ?? '';
  if (
    end.exitCode === EXIT.auth ||
    /auth method|GEMINI_API_KEY/i.test(`${message} ${end.stderrTail}`)
  ) {
    return fail(
      'auth',
      `The gemini CLI could not authenticate: ${clip(message, 300) || 'no message'}.${stderrNote(end)} ${LOGIN_HINT}`,
    );
  }
  if (
    end.exitCode === EXIT.config ||
    end.exitCode === EXIT.sandbox ||
    end.exitCode === EXIT.input
  ) {
    return fail(
      'config',
      `The gemini CLI refused its configuration (exit ${end.exitCode}): ${clip(message, 300)}${stderrNote(end)}`,
    );
  }
  if (message) {
    const c = classifyGeminiError(message, now);
    return fail(c.kind, c.message, c.extra);
  }
  return crash();
}

/** Classifies a Gemini API error message (`[API Error: ...]`, status names such as RESOURCE_EXHAUSTED). Pure. */
export function classifyGeminiError(message: string, now: Date = new Date()): ClassifiedError {
  return classifyApiMessage(GEMINI_ERRORS, message, now);
}

const GEMINI_ERRORS: ApiErrorPatterns = {
  auth: /\b(401|403)\b|UNAUTHENTICATED|PERMISSION_DENIED|API key not valid|invalid api key/i,
  // A quota word and an end word, anywhere in the message.
  usageLimit:
    /^(?=[\s\S]*(?:quota|usage limit|per day|daily limit))(?=[\s\S]*(?:exceeded|reached|exhausted))/i,
  rateLimit: /\b429\b|RESOURCE_EXHAUSTED|rate.?limit|too many requests/i,
  retryAfter: /retry in (\d+(?:\.\d+)?)\s*(ms|s)\b/i,
  overloaded: /\b(503|529)\b|UNAVAILABLE|overloaded/i,
  apiError: /API Error|\b(400|404|500)\b|INVALID_ARGUMENT|INTERNAL/i,
  authBy: 'The Gemini API',
  by: 'the API',
  loginHint: LOGIN_HINT,
  other: 'The gemini CLI reported an error',
};
