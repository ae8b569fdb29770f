import {
  type AgentError,
  type AgentErrorKind,
  type AgentResult,
  AgentResultSchema,
} from '@sprint/core';
import {
  clip,
  type EndedBy,
  findResetTime,
  limitPhrase,
  type ProcessEnd,
  seconds,
  TaskResultSchema,
} from '@sprint/core/agent-kit';
import {
  type ApiRetry,
  describeRetry,
  type ResultMessage,
  type StreamState,
} from './stream-json.js';

export type { EndedBy, ProcessEnd };

/** Everything the verdict is made from. */
export interface OutcomeInput {
  state: StreamState;
  end: ProcessEnd;
  binary: string;
  limits: { timeoutMs: number; idleTimeoutMs: number };
  now?: Date;
}

const INSTALL_HINT =
  'Install it with `pnpm add -D @anthropic-ai/claude-code` (or `npm i -g @anthropic-ai/claude-code`), ' +
  'or set SPRINT_CLAUDE_BIN to the path of a claude executable.';

const LOGIN_HINT =
  'Set ANTHROPIC_API_KEY to a valid key, or log in once with `claude` and its /login command ' +
  '(or `claude setup-token` for headless machines).';

const ROOT_REFUSAL = /cannot be used with root\/sudo privileges/i;

/**
 * Turns what a run of the CLI produced into an AgentResult. Pure. Success is
 * decided from the result line alone (`is_error` and the structured `status`),
 * never from the exit code or words in the text; a run without a result line
 * is a failure whose cause is named.
 */
export function runOutcome(input: OutcomeInput): AgentResult {
  const { state, end } = input;
  const result = state.result;
  const base = {
    costUsd: result?.total_cost_usd ?? 0,
    tokens: state.tokens,
    durationMs: end.durationMs,
    sessionId: state.sessionId,
  };
  const fail = (
    kind: AgentErrorKind,
    message: string,
    extra: Partial<AgentError> = {},
    summary?: string,
  ) =>
    AgentResultSchema.parse({
      ...base,
      success: false,
      summary: summary ?? message,
      ...(result?.result ? { output: result.result } : {}),
      error: {
        kind,
        message,
        exitCode: end.exitCode,
        signal: end.signal,
        ...extra,
      },
    });

  if (!result) return noResult(input, fail);

  if (result.is_error) return errorResult(result, input, fail);

  const parsed = TaskResultSchema.safeParse(result.structured_output);
  if (!parsed.success) {
    if (state.permissionDenials.length) return fail('config', permissionMessage(state));
    const why =
      result.structured_output === undefined
        ? 'the model ended without calling the StructuredOutput tool'
        : `its structured output does not match the result schema (${parsed.error.issues
            .map((i) => `${i.path.join('.') || 'value'}: ${i.message}`)
            .join('; ')})`;
    return fail(
      'invalid-output',
      `The claude CLI finished but ${why}. Final text: ${clip(result.result ?? '', 500) || '(none)'}`,
    );
  }

  const r = parsed.data;
  const common = {
    ...base,
    summary: r.summary,
    deferredItems: r.deferred_items,
    filesChanged: r.files_changed,
  };
  switch (r.status) {
    case 'completed':
      return AgentResultSchema.parse({ ...common, success: true });
    case 'needs-human':
      return AgentResultSchema.parse({
        ...common,
        success: false,
        needsHuman: r.human_needed ?? { reason: r.summary, options: [] },
      });
    case 'failed':
    case 'blocked': {
      const kind = state.permissionDenials.length ? 'config' : r.status;
      const message =
        kind === 'config'
          ? `${permissionMessage(state)} The agent reported: ${r.summary}`
          : r.summary;
      return AgentResultSchema.parse({
        ...common,
        success: false,
        error: { kind, message, exitCode: end.exitCode, signal: end.signal },
      });
    }
  }
}

type Fail = (
  kind: AgentErrorKind,
  message: string,
  extra?: Partial<AgentError>,
  summary?: string,
) => AgentResult;

function errorResult(result: ResultMessage, input: OutcomeInput, fail: Fail): AgentResult {
  const text = [result.result, ...(result.errors ?? [])].filter(Boolean).join(' ');
  const status = result.api_error_status ?? undefined;
  const now = input.now ?? new Date();

  if (result.subtype === 'error_max_turns') {
    return fail(
      'max-turns',
      `The task used up its turns: ${text || 'maximum number of turns reached'}. Raise maxTurns or split the task.`,
    );
  }
  if (result.subtype === 'error_max_budget_usd') {
    return fail(
      'budget',
      `The task reached its budget: ${text || 'maximum budget reached'}. Raise maxBudgetUsd or split the task.`,
    );
  }
  const limited = usageLimit(text, now);
  if (limited) return fail('usage-limit', `Usage limit reached: ${clip(text, 300)}`, limited);
  if (
    status === 401 ||
    status === 403 ||
    /invalid api key|please run \/login|not logged in/i.test(text)
  ) {
    return fail(
      'auth',
      status
        ? `The Anthropic API refused the credentials (HTTP ${status}): ${clip(text, 300)}. ${LOGIN_HINT}`
        : `The claude CLI has no usable credentials: ${clip(text, 300)}. ${LOGIN_HINT}`,
    );
  }
  if (status === 429) {
    return fail(
      'rate-limit',
      `Rate limited by the API: ${clip(text, 300)}`,
      retryTiming(text, input.state.pendingRetry, now),
    );
  }
  if (status === 529 || /overloaded/i.test(result.api_error_type ?? '')) {
    return fail(
      'overloaded',
      `The API is overloaded: ${clip(text, 300)}`,
      retryTiming(text, input.state.pendingRetry, now),
    );
  }
  if (status !== undefined || /^API Error/i.test(text)) {
    return fail(
      'api-error',
      `The API answered with an error${status ? ` (HTTP ${status})` : ''}: ${clip(text, 300)}`,
    );
  }
  if (input.state.permissionDenials.length) return fail('config', permissionMessage(input.state));
  return fail(
    'crash',
    `The claude CLI reported an error (${result.subtype}): ${clip(text, 300) || 'no message'}`,
  );
}

function noResult(input: OutcomeInput, fail: Fail): AgentResult {
  const { end, state } = input;
  const stderr = end.stderrTail.trim();
  const tail = stderr ? ` Last stderr: ${clip(lastLines(stderr, 5), 600)}` : '';
  const retrying = state.pendingRetry;

  switch (end.endedBy) {
    case 'spawn-error':
      return fail(
        end.spawnError?.code === 'ENOENT' || end.spawnError?.code === 'EACCES'
          ? 'binary-missing'
          : 'crash',
        `Cannot start the claude CLI (${input.binary}): ${end.spawnError?.message ?? 'unknown error'}. ${INSTALL_HINT}`,
      );
    case 'cancel':
      return fail(
        'cancelled',
        `Cancelled after ${seconds(end.durationMs)}; the claude CLI was stopped.`,
      );
    case 'refused': {
      const how = retrying ? describeRetry(retrying) : 'the API refused the credentials';
      return fail(
        'auth',
        `The API refused the claude CLI's credentials (${how}); the run was stopped at once instead of retrying. ${LOGIN_HINT}`,
      );
    }
    case 'timeout':
    case 'idle': {
      const limit = limitPhrase(end.endedBy, { agent: 'claude', limits: input.limits });
      if (retrying) {
        const retried = retryKind(retrying);
        if (retried) {
          const msg = `The claude CLI ${limit} while retrying: ${describeRetry(retrying)}.`;
          if (retried === 'auth')
            return fail('auth', `${msg} The API refused the credentials. ${LOGIN_HINT}`);
          return fail(retried, msg, retryTiming('', retrying, input.now ?? new Date()));
        }
      }
      return fail(end.endedBy, `The claude CLI ${limit} and was stopped.${tail}`);
    }
    default: {
      if (ROOT_REFUSAL.test(stderr)) {
        return fail(
          'config',
          'The claude CLI refuses permission mode bypassPermissions when run as root. ' +
            "Use permissionMode 'acceptEdits' with allowedTools (e.g. ['Bash', 'Edit', 'Write']), " +
            `or leave permissionMode unset for that default.${tail}`,
        );
      }
      if (
        /native binary not installed|command not found|No such file or directory/i.test(stderr) &&
        end.exitCode === 127
      ) {
        return fail(
          'binary-missing',
          `The claude CLI could not be run (${input.binary}).${tail} ${INSTALL_HINT}`,
        );
      }
      if (/native binary not installed/i.test(stderr)) {
        return fail(
          'binary-missing',
          `The claude CLI is installed without its native binary.${tail} ${INSTALL_HINT}`,
        );
      }
      if (/invalid api key|please run \/login|not logged in|ANTHROPIC_API_KEY/i.test(stderr)) {
        return fail('auth', `The claude CLI could not authenticate.${tail} ${LOGIN_HINT}`);
      }
      const how =
        end.endedBy === 'signal'
          ? `was killed by ${end.signal}`
          : `exited with code ${end.exitCode}`;
      return fail(
        'crash',
        `The claude CLI ${how} after ${seconds(end.durationMs)} without a result.${tail}`,
      );
    }
  }
}

/** The API refused the credentials: no retry can succeed. */
export function isAuthRefusal(retry: ApiRetry): boolean {
  return retry.status === 401 || retry.status === 403 || retry.error === 'authentication_failed';
}

function retryKind(retry: ApiRetry): AgentErrorKind | undefined {
  if (isAuthRefusal(retry)) return 'auth';
  if (retry.status === 429 || retry.error === 'rate_limit') return 'rate-limit';
  if (retry.status === 529 || retry.error === 'overloaded') return 'overloaded';
  return undefined;
}

function usageLimit(text: string, now: Date): Partial<AgentError> | undefined {
  if (!/usage limit|limit reached|hit your limit|limit will reset|resets? (at )?\d/i.test(text))
    return undefined;
  if (!/usage|limit/i.test(text)) return undefined;
  const resetAt = findResetTime(text, now);
  return resetAt ? { resetAt } : {};
}

function retryTiming(text: string, retry: ApiRetry | undefined, now: Date): Partial<AgentError> {
  const resetAt = text ? findResetTime(text, now) : undefined;
  if (resetAt) return { resetAt };
  if (retry?.delayMs !== undefined) return { retryAfterMs: retry.delayMs };
  return {};
}

function permissionMessage(state: StreamState): string {
  const tools = [...new Set(state.permissionDenials.map((d) => d.tool))];
  const first = state.permissionDenials.find((d) => d.message)?.message;
  return (
    `The claude CLI refused permission for ${tools.join(', ')}${first ? ` (${clip(first, 200)})` : ''}. ` +
    `Allow the tools with allowed-tools under config.claude (e.g. allowed-tools: [${tools[0] ?? 'Bash'}]) or choose another permission-mode.`
  );
}

function lastLines(text: string, n: number): string {
  return text.split('\n').slice(-n).join(' | ');
}
