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
import type { CodexState } from './codex-events.js';

export const INSTALL_HINT =
  'Install it with `npm i -g @openai/codex` (or `pnpm add -D @openai/codex`), ' +
  'or set SPRINT_CODEX_BIN to the path of a codex executable.';

export const LOGIN_HINT =
  'Set CODEX_API_KEY (or OPENAI_API_KEY) to a valid key, or log in once with `codex login` ' +
  '(`codex login --with-api-key` on headless machines).';

/** Everything the verdict is made from. */
export interface CodexOutcomeInput {
  state: CodexState;
  end: ProcessEnd;
  /** Cost and whether it was estimated, priced by the caller from `state.tokens`. */
  cost: { costUsd: number; estimated: boolean };
  ctx: Omit<EndContext, 'label' | 'installHint'>;
  now?: Date;
}

/**
 * Turns a codex run into an AgentResult. Pure. Success only from the final
 * message parsed as the task report with `status: completed`; a turn that
 * failed is classified from its message; an exit without a report is
 * `invalid-output` or a crash, never success.
 */
export function codexOutcome(input: CodexOutcomeInput): AgentResult {
  const { state, end } = input;
  const base: ResultBase = {
    costUsd: input.cost.costUsd,
    ...(input.cost.estimated ? { costEstimated: true } : {}),
    tokens: state.tokens,
    durationMs: end.durationMs,
    ...(state.threadId ? { sessionId: state.threadId } : {}),
  };
  const fail = (kind: AgentErrorKind, message: string, extra: Partial<AgentError> = {}) =>
    failureResult(base, end, kind, message, extra);
  const ctx: EndContext = { ...input.ctx, label: 'the codex CLI', installHint: INSTALL_HINT };
  const now = input.now ?? new Date();

  const limit = limitFailure(end, ctx);
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
  if (state.lastMessage !== undefined) {
    const read = readTaskReport(state.lastMessage);
    if (read.ok) return reportedResult(read.report, base, end);
    return fail(
      'invalid-output',
      `The codex CLI finished but ${read.why}. Final message: ${clip(state.lastMessage, 500) || '(none)'}`,
    );
  }
  const stderr = end.stderrTail;
  if (/not logged in|api key|OPENAI_API_KEY|CODEX_API_KEY|401|unauthorized/i.test(stderr)) {
    return fail('auth', `The codex CLI could not authenticate.${stderrNote(end)} ${LOGIN_HINT}`);
  }
  if (end.exitCode === 0 && state.turnCompleted) {
    return fail('invalid-output', 'The codex CLI finished its turn without a final message.');
  }
  const how =
    end.endedBy === 'signal' ? `was killed by ${end.signal}` : `exited with code ${end.exitCode}`;
  return fail('crash', `The codex CLI ${how} without a result.${stderrNote(end)}`);
}

/**
 * Classifies the CLI's message for a failed turn (seen from codex 0.171:
 * `unexpected status 401 Unauthorized: ...`, `exceeded retry limit, last
 * status: 429 ...`, `rate limit exceeded: ... try again in 2.5s`, `Quota
 * exceeded. ...`, `Selected model is at capacity. ...`). Pure.
 */
export function classifyApiError(
  message: string,
  now: Date = new Date(),
): { kind: AgentErrorKind; message: string; extra: Partial<AgentError> } {
  const text = clip(message, 400);
  if (
    /\b(401|403)\b|unauthori[sz]ed|forbidden|incorrect api key|invalid_api_key|not logged in/i.test(
      message,
    )
  ) {
    return {
      kind: 'auth',
      message: `The OpenAI API refused the credentials: ${text}. ${LOGIN_HINT}`,
      extra: {},
    };
  }
  if (
    /quota exceeded|insufficient_quota|usage limit|usage_limit_reached|hit your usage limit/i.test(
      message,
    )
  ) {
    const resetAt = findResetTime(message, now);
    return {
      kind: 'usage-limit',
      message: `Usage limit reached: ${text}`,
      extra: resetAt ? { resetAt } : {},
    };
  }
  if (/\b429\b|rate.?limit|too many requests/i.test(message)) {
    const after = /try again in (\d+(?:\.\d+)?)\s*(ms|s|m)\b/i.exec(message);
    const ms = after
      ? Number(after[1]) * (after[2] === 'ms' ? 1 : after[2] === 'm' ? 60_000 : 1000)
      : undefined;
    return {
      kind: 'rate-limit',
      message: `Rate limited by the API: ${text}`,
      extra: ms !== undefined ? { retryAfterMs: Math.round(ms) } : {},
    };
  }
  if (/\b(502|503|529)\b|overloaded|at capacity|high demand|server_is_overloaded/i.test(message)) {
    return { kind: 'overloaded', message: `The API is overloaded: ${text}`, extra: {} };
  }
  if (/unexpected status \d+|\b(400|404|500)\b/i.test(message)) {
    return { kind: 'api-error', message: `The API answered with an error: ${text}`, extra: {} };
  }
  return { kind: 'crash', message: `The codex CLI's turn failed: ${text}`, extra: {} };
}
