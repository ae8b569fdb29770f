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
import type { OpencodeState } from './opencode-events.js';

export const INSTALL_HINT =
  'Install it with `npm i -g opencode-ai` (or `pnpm add -D opencode-ai`, allowing its install script), ' +
  'or set SPRINT_OPENCODE_BIN to the path of an opencode executable.';

export const LOGIN_HINT =
  "Log in with `opencode auth login`, or set the provider's key (e.g. OPENAI_API_KEY, ANTHROPIC_API_KEY) in the environment.";

export interface OpencodeOutcomeInput {
  state: OpencodeState;
  end: ProcessEnd;
  cost: { costUsd: number; estimated: boolean };
  ctx: Omit<EndContext, 'label' | 'installHint'>;
  now?: Date;
}

/**
 * Turns an opencode run into an AgentResult. Pure. The CLI has no schema
 * option: success only when its final message holds a task report with
 * `status: completed`; a missing or invalid one is `invalid-output`.
 */
export function opencodeOutcome(input: OpencodeOutcomeInput): AgentResult {
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
  const ctx: EndContext = { ...input.ctx, label: 'the opencode CLI', installHint: INSTALL_HINT };

  const limit = limitFailure(end, ctx);
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
  if (end.exitCode === 0 && state.finishReason) {
    const read = readTaskReport(state.message);
    if (read.ok) return reportedResult(read.report, base, end);
    return fail(
      'invalid-output',
      `The opencode CLI finished but ${read.why}. Final message: ${clip(state.message, 500) || '(none)'}`,
    );
  }
  if (/api key|unauthori[sz]ed|\b401\b|auth login/i.test(end.stderrTail)) {
    return fail('auth', `The opencode CLI could not authenticate.${stderrNote(end)} ${LOGIN_HINT}`);
  }
  const how =
    end.endedBy === 'signal' ? `was killed by ${end.signal}` : `exited with code ${end.exitCode}`;
  return fail('crash', `The opencode CLI ${how} without a result.${stderrNote(end)}`);
}

/** Classifies an opencode `error` event (`APIError: ...`, `ProviderAuthError: ...`). Pure. */
export function classifyOpencodeError(
  message: string,
  now: Date = new Date(),
): { kind: AgentErrorKind; message: string; extra: Partial<AgentError> } {
  const text = clip(message, 400);
  if (/ProviderAuthError|\b(401|403)\b|unauthori[sz]ed|api key/i.test(message)) {
    return {
      kind: 'auth',
      message: `The provider refused the credentials: ${text}. ${LOGIN_HINT}`,
      extra: {},
    };
  }
  if (/quota|usage limit/i.test(message)) {
    const resetAt = findResetTime(message, now);
    return {
      kind: 'usage-limit',
      message: `Usage limit reached: ${text}`,
      extra: resetAt ? { resetAt } : {},
    };
  }
  if (/\b429\b|rate.?limit|too many requests/i.test(message)) {
    const after = /(?:try again|retry) in (\d+(?:\.\d+)?)\s*(ms|s)\b/i.exec(message);
    const ms = after ? Number(after[1]) * (after[2] === 'ms' ? 1 : 1000) : undefined;
    return {
      kind: 'rate-limit',
      message: `Rate limited by the provider: ${text}`,
      extra: ms !== undefined ? { retryAfterMs: Math.round(ms) } : {},
    };
  }
  if (/\b(503|529)\b|overloaded/i.test(message)) {
    return { kind: 'overloaded', message: `The provider is overloaded: ${text}`, extra: {} };
  }
  if (/APIError|\b(400|404|500)\b/i.test(message)) {
    return {
      kind: 'api-error',
      message: `The provider answered with an error: ${text}`,
      extra: {},
    };
  }
  return { kind: 'crash', message: `The opencode CLI reported an error: ${text}`, extra: {} };
}
