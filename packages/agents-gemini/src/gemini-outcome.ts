import type { AgentError, AgentErrorKind, AgentResult } from '@sprint/core';
import {
  clip,
  type EndContext,
  failureResult,
  findResetTime,
  limitFailure,
  type ProcessEnd,
  type ResultBase,
  readTaskReport,
  reportedResult,
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

export interface GeminiOutcomeInput {
  state: GeminiState;
  end: ProcessEnd;
  cost: { costUsd: number; estimated: boolean };
  ctx: Omit<EndContext, 'label' | 'installHint'>;
  now?: Date;
}

/**
 * Turns a gemini run into an AgentResult. Pure. The CLI has no schema option:
 * success only when its final message holds a task report with `status:
 * completed`; a missing or invalid one is `invalid-output`, never success.
 */
export function geminiOutcome(input: GeminiOutcomeInput): AgentResult {
  const { state, end } = input;
  const base: ResultBase = {
    costUsd: input.cost.costUsd,
    ...(input.cost.estimated ? { costEstimated: true } : {}),
    tokens: state.tokens,
    durationMs: end.durationMs,
    ...(state.sessionId ? { sessionId: state.sessionId } : {}),
  };
  const fail = (kind: AgentErrorKind, message: string, extra: Partial<AgentError> = {}) =>
    failureResult(base, end, kind, message, extra);
  const ctx: EndContext = { ...input.ctx, label: 'the gemini CLI', installHint: INSTALL_HINT };
  const now = input.now ?? new Date();

  const limit = limitFailure(end, ctx);
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
  if (state.result?.status === 'success') {
    const read = readTaskReport(state.message);
    if (read.ok) return reportedResult(read.report, base, end);
    return fail(
      'invalid-output',
      `The gemini CLI finished but ${read.why}. Final message: ${clip(state.message, 500) || '(none)'}`,
    );
  }
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
  const how =
    end.endedBy === 'signal' ? `was killed by ${end.signal}` : `exited with code ${end.exitCode}`;
  return fail('crash', `The gemini CLI ${how} without a result.${stderrNote(end)}`);
}

/** Classifies a Gemini API error message (`[API Error: ...]`, status names such as RESOURCE_EXHAUSTED). Pure. */
export function classifyGeminiError(
  message: string,
  now: Date = new Date(),
): { kind: AgentErrorKind; message: string; extra: Partial<AgentError> } {
  const text = clip(message, 400);
  if (
    /\b(401|403)\b|UNAUTHENTICATED|PERMISSION_DENIED|API key not valid|invalid api key/i.test(
      message,
    )
  ) {
    return {
      kind: 'auth',
      message: `The Gemini API refused the credentials: ${text}. ${LOGIN_HINT}`,
      extra: {},
    };
  }
  if (
    /quota|usage limit|per day|daily limit/i.test(message) &&
    /exceeded|reached|exhausted/i.test(message)
  ) {
    const resetAt = findResetTime(message, now);
    return {
      kind: 'usage-limit',
      message: `Usage limit reached: ${text}`,
      extra: resetAt ? { resetAt } : {},
    };
  }
  if (/\b429\b|RESOURCE_EXHAUSTED|rate.?limit|too many requests/i.test(message)) {
    const after = /retry in (\d+(?:\.\d+)?)\s*(ms|s)\b/i.exec(message);
    const ms = after ? Number(after[1]) * (after[2] === 'ms' ? 1 : 1000) : undefined;
    return {
      kind: 'rate-limit',
      message: `Rate limited by the API: ${text}`,
      extra: ms !== undefined ? { retryAfterMs: Math.round(ms) } : {},
    };
  }
  if (/\b(503|529)\b|UNAVAILABLE|overloaded/i.test(message)) {
    return { kind: 'overloaded', message: `The API is overloaded: ${text}`, extra: {} };
  }
  if (/API Error|\b(400|404|500)\b|INVALID_ARGUMENT|INTERNAL/i.test(message)) {
    return { kind: 'api-error', message: `The API answered with an error: ${text}`, extra: {} };
  }
  return { kind: 'crash', message: `The gemini CLI reported an error: ${text}`, extra: {} };
}
