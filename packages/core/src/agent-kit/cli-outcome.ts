import type { AgentError, AgentErrorKind, AgentResult } from '../model/agent-result.js';
import type { CliOutcomeInput, CliRunState } from './cli-agent.js';
import {
  clip,
  failureResult,
  limitFailure,
  type ResultBase,
  readTaskReport,
  reportedResult,
  stderrNote,
} from './reported-result.js';
import { findResetTime } from './reset-time.js';

/** What every CLI's outcome table decides with: the run's figures and the shared verdicts. */
export interface CliVerdicts {
  base: ResultBase;
  /** A failed result carrying the run's cost, tokens and duration. */
  fail: (kind: AgentErrorKind, message: string, extra?: Partial<AgentError>) => AgentResult;
  /** The failure when the process did not start, was cancelled or hit a limit; else undefined. */
  limit: { kind: AgentErrorKind; message: string } | undefined;
  now: Date;
  /** The task report in the CLI's final message, else `invalid-output`. */
  finalMessage: (message: string) => AgentResult;
  /** The crash of a process that exited (or was killed) without a result. */
  crash: () => AgentResult;
}

/** Starts a CLI's verdict from its run. Pure. */
export function cliVerdicts(
  input: CliOutcomeInput<CliRunState>,
  cli: { name: string; installHint: string; sessionId: string | undefined },
): CliVerdicts {
  const { end } = input;
  const base: ResultBase = {
    costUsd: input.cost.costUsd,
    ...(input.cost.estimated ? { costEstimated: true } : {}),
    ...(input.cost.estimated && input.cost.model ? { costModel: input.cost.model } : {}),
    ...(input.cost.estimated && input.cost.fallback ? { costFallback: true } : {}),
    tokens: input.state.tokens,
    durationMs: end.durationMs,
    ...(cli.sessionId ? { sessionId: cli.sessionId } : {}),
  };
  const fail = (kind: AgentErrorKind, message: string, extra: Partial<AgentError> = {}) =>
    failureResult(base, end, kind, message, extra);
  return {
    base,
    fail,
    limit: limitFailure(end, {
      ...input.ctx,
      label: `the ${cli.name} CLI`,
      agent: cli.name,
      installHint: cli.installHint,
    }),
    now: input.now ?? new Date(),
    finalMessage: (message) => {
      const read = readTaskReport(message);
      if (read.ok) return reportedResult(read.report, base, end);
      return fail(
        'invalid-output',
        `The ${cli.name} CLI finished but ${read.why}. Final message: ${clip(message, 500) || '(none)'}`,
      );
    },
    crash: () => {
      const how =
        end.endedBy === 'signal'
          ? `was killed by ${end.signal}`
          : `exited with code ${end.exitCode}`;
      return fail('crash', `The ${cli.name} CLI ${how} without a result.${stderrNote(end)}`);
    },
  };
}

/** An error message from a provider's API, classified. */
export interface ClassifiedError {
  kind: AgentErrorKind;
  message: string;
  extra: Partial<AgentError>;
}

/** How one CLI's provider errors read, checked in this order. */
export interface ApiErrorPatterns {
  auth: RegExp;
  usageLimit: RegExp;
  rateLimit: RegExp;
  /** Captures the wait (number, then `ms`, `s` or `m`) in a rate-limit message. */
  retryAfter: RegExp;
  overloaded: RegExp;
  apiError: RegExp;
  /** Who refused the credentials, e.g. `The OpenAI API`. */
  authBy: string;
  /** Who answered otherwise, e.g. `the API`, `the provider`. */
  by: string;
  loginHint: string;
  /** The message for anything else, e.g. `The codex CLI's turn failed`. */
  other: string;
}

/** Classifies a provider error message by the CLI's patterns. Pure. */
export function classifyApiMessage(
  patterns: ApiErrorPatterns,
  message: string,
  now: Date = new Date(),
): ClassifiedError {
  const text = clip(message, 400);
  const by = patterns.by.charAt(0).toUpperCase() + patterns.by.slice(1);
  if (patterns.auth.test(message)) {
    return {
      kind: 'auth',
      message: `${patterns.authBy} refused the credentials: ${text}. ${patterns.loginHint}`,
      extra: {},
    };
  }
  if (patterns.usageLimit.test(message)) {
    const resetAt = findResetTime(message, now);
    return {
      kind: 'usage-limit',
      message: `Usage limit reached: ${text}`,
      extra: resetAt ? { resetAt } : {},
    };
  }
  if (patterns.rateLimit.test(message)) {
    const after = patterns.retryAfter.exec(message);
    const ms = after
      ? Number(after[1]) * (after[2] === 'ms' ? 1 : after[2] === 'm' ? 60_000 : 1000)
      : undefined;
    return {
      kind: 'rate-limit',
      message: `Rate limited by ${patterns.by}: ${text}`,
      extra: ms !== undefined ? { retryAfterMs: Math.round(ms) } : {},
    };
  }
  if (patterns.overloaded.test(message)) {
    return { kind: 'overloaded', message: `${by} is overloaded: ${text}`, extra: {} };
  }
  if (patterns.apiError.test(message)) {
    return { kind: 'api-error', message: `${by} answered with an error: ${text}`, extra: {} };
  }
  return { kind: 'crash', message: `${patterns.other}: ${text}`, extra: {} };
}
