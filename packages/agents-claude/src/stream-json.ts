import { type AgentActivity, addTokens, type TokenUsage, ZERO_TOKENS } from '@sprint/core';
import { z } from 'zod';

/**
 * The CLI's `--output-format stream-json` lines, validated at the edge. Only
 * the fields this package reads are declared; every object stays loose so a
 * newer CLI that adds fields still parses.
 */
const UsageSchema = z.looseObject({
  input_tokens: z.number().nullish(),
  output_tokens: z.number().nullish(),
  cache_read_input_tokens: z.number().nullish(),
  cache_creation_input_tokens: z.number().nullish(),
});

const ContentBlockSchema = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  id: z.string().optional(),
  name: z.string().optional(),
  input: z.unknown().optional(),
  tool_use_id: z.string().optional(),
  content: z.unknown().optional(),
  is_error: z.boolean().nullish(),
});

const InitSchema = z.looseObject({
  type: z.literal('system'),
  subtype: z.literal('init'),
  session_id: z.string().optional(),
  model: z.string().optional(),
  cwd: z.string().optional(),
  permissionMode: z.string().optional(),
  claude_code_version: z.string().optional(),
});

const ApiRetrySchema = z.looseObject({
  type: z.literal('system'),
  subtype: z.literal('api_retry'),
  attempt: z.number().optional(),
  max_retries: z.number().optional(),
  retry_delay_ms: z.number().optional(),
  error_status: z.number().nullish(),
  error: z.string().optional(),
});

const PermissionDeniedSchema = z.looseObject({
  type: z.literal('system'),
  subtype: z.literal('permission_denied'),
  tool_name: z.string().optional(),
  message: z.string().optional(),
});

const AssistantSchema = z.looseObject({
  type: z.literal('assistant'),
  message: z.looseObject({
    id: z.string().optional(),
    content: z.array(ContentBlockSchema).default([]),
    usage: UsageSchema.nullish(),
  }),
  session_id: z.string().optional(),
  parent_tool_use_id: z.string().nullish(),
});

const UserSchema = z.looseObject({
  type: z.literal('user'),
  message: z.looseObject({
    content: z.union([z.string(), z.array(ContentBlockSchema)]).default([]),
  }),
});

/** The last line of a run: the CLI's verdict, cost and usage. */
export const ResultMessageSchema = z.looseObject({
  type: z.literal('result'),
  subtype: z.string(),
  is_error: z.boolean(),
  result: z.string().optional(),
  session_id: z.string().optional(),
  total_cost_usd: z.number().nullish(),
  usage: UsageSchema.nullish(),
  num_turns: z.number().optional(),
  duration_ms: z.number().optional(),
  api_error_status: z.number().nullish(),
  api_error_type: z.string().nullish(),
  errors: z.array(z.string()).optional(),
  permission_denials: z
    .array(z.looseObject({ tool_name: z.string(), tool_input: z.unknown().optional() }))
    .default([]),
  terminal_reason: z.string().optional(),
  structured_output: z.unknown().optional(),
});
export type ResultMessage = z.infer<typeof ResultMessageSchema>;

/** A retry the CLI announced (`system/api_retry`): the API failed and the CLI waits. */
export interface ApiRetry {
  attempt?: number;
  maxRetries?: number;
  delayMs?: number;
  status?: number;
  error?: string;
}

/** A tool call the CLI refused for lack of permission. */
export interface PermissionDenial {
  tool: string;
  message?: string;
}

/** What the reader has learned so far from the lines of one run. */
export interface StreamState {
  sessionId?: string;
  model?: string;
  cliVersion?: string;
  /** Tokens of the distinct model messages seen so far. */
  tokens: TokenUsage;
  /** Message ids already counted (the CLI repeats a message's usage on each of its blocks). */
  countedMessages: readonly string[];
  /** Tool-use id -> tool name, to name tool results. */
  toolNames: Readonly<Record<string, string>>;
  /** The CLI's latest retry when no model answer came after it; cleared by an answer. */
  pendingRetry?: ApiRetry;
  permissionDenials: readonly PermissionDenial[];
  /** Lines that were not JSON or not a known message. */
  junkLines: number;
  result?: ResultMessage;
}

export const INITIAL_STREAM_STATE: StreamState = Object.freeze({
  tokens: ZERO_TOKENS,
  countedMessages: [],
  toolNames: {},
  permissionDenials: [],
  junkLines: 0,
});

/** The reader's answer for one line: the new state and what to show while the task runs. */
export interface StreamStep {
  state: StreamState;
  activities: AgentActivity[];
}

const MAX_TEXT = 2000;
const MAX_INPUT = 200;

/**
 * Reads one stdout line of `claude -p --output-format stream-json --verbose`.
 * Pure: the same state and line always give the same step. Lines that are not
 * JSON (or not a message) become `log` activities; they are never fatal.
 *
 * @example
 * ```ts
 * let state = INITIAL_STREAM_STATE;
 * for (const line of lines) {
 *   const step = readStreamLine(state, line);
 *   state = step.state;
 *   step.activities.forEach(emit);
 * }
 * state.result; // the result line, when the run produced one
 * ```
 */
export function readStreamLine(state: StreamState, line: string): StreamStep {
  const trimmed = line.trim();
  if (!trimmed) return { state, activities: [] };
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    return junk(state, line);
  }
  const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : '';

  if (type === 'system') {
    const init = InitSchema.safeParse(json);
    if (init.success) {
      const { session_id: sessionId, model, claude_code_version: cliVersion } = init.data;
      return {
        state: { ...state, sessionId: sessionId ?? state.sessionId, model, cliVersion },
        activities: [{ kind: 'init', sessionId, model }],
      };
    }
    const retry = ApiRetrySchema.safeParse(json);
    if (retry.success) {
      const r = retry.data;
      const pendingRetry: ApiRetry = {
        attempt: r.attempt,
        maxRetries: r.max_retries,
        delayMs: r.retry_delay_ms,
        status: r.error_status ?? undefined,
        error: r.error,
      };
      return {
        state: { ...state, pendingRetry },
        activities: [{ kind: 'retry', message: describeRetry(pendingRetry) }],
      };
    }
    const denied = PermissionDeniedSchema.safeParse(json);
    if (denied.success) {
      const denial: PermissionDenial = {
        tool: denied.data.tool_name ?? 'unknown tool',
        message: denied.data.message,
      };
      return {
        state: { ...state, permissionDenials: [...state.permissionDenials, denial] },
        activities: [
          {
            kind: 'log',
            stream: 'stdout',
            line: `permission denied: ${denial.tool}${denial.message ? `: ${oneLine(denial.message, MAX_TEXT)}` : ''}`,
          },
        ],
      };
    }
    return { state, activities: [] }; // other system notices (hooks, status) carry nothing to show
  }

  if (type === 'assistant') {
    const parsed = AssistantSchema.safeParse(json);
    if (!parsed.success) return junk(state, line);
    const { message } = parsed.data;
    const activities: AgentActivity[] = [];
    let toolNames = state.toolNames;
    for (const block of message.content) {
      if (block.type === 'text' && block.text?.trim()) {
        activities.push({ kind: 'text', text: truncate(block.text, MAX_TEXT) });
      } else if (block.type === 'tool_use' && block.name) {
        if (block.id) toolNames = { ...toolNames, [block.id]: block.name };
        activities.push({
          kind: 'tool-use',
          tool: block.name,
          input: shortInput(block.name, block.input),
        });
      }
    }
    let { tokens, countedMessages } = state;
    if (message.usage && !(message.id && countedMessages.includes(message.id))) {
      tokens = addTokens(tokens, tokensOf(message.usage));
      if (message.id) countedMessages = [...countedMessages, message.id];
      activities.push({ kind: 'usage', tokens });
    }
    return {
      state: {
        ...state,
        sessionId: parsed.data.session_id ?? state.sessionId,
        tokens,
        countedMessages,
        toolNames,
        pendingRetry: undefined,
      },
      activities,
    };
  }

  if (type === 'user') {
    const parsed = UserSchema.safeParse(json);
    if (!parsed.success) return junk(state, line);
    const { content } = parsed.data.message;
    const activities: AgentActivity[] = [];
    if (Array.isArray(content)) {
      for (const block of content) {
        if (block.type !== 'tool_result') continue;
        const tool = block.tool_use_id ? state.toolNames[block.tool_use_id] : undefined;
        activities.push({
          kind: 'tool-result',
          ...(tool ? { tool } : {}),
          isError: block.is_error === true,
          output: truncate(textOf(block.content), MAX_TEXT),
        });
      }
    }
    return { state, activities };
  }

  if (type === 'result') {
    const parsed = ResultMessageSchema.safeParse(json);
    if (!parsed.success) return junk(state, line);
    const result = parsed.data;
    const tokens = result.usage ? tokensOf(result.usage) : state.tokens;
    return {
      state: { ...state, result, tokens, sessionId: result.session_id ?? state.sessionId },
      activities: [{ kind: 'usage', tokens, costUsd: result.total_cost_usd ?? 0 }],
    };
  }

  // Valid JSON of a kind this reader does not know (stream events, new message types).
  return { state, activities: [] };
}

function junk(state: StreamState, line: string): StreamStep {
  return {
    state: { ...state, junkLines: state.junkLines + 1 },
    activities: [{ kind: 'log', stream: 'stdout', line: truncate(line, MAX_TEXT) }],
  };
}

/** Maps the API's usage object to core's token counts. */
function tokensOf(usage: z.infer<typeof UsageSchema>): TokenUsage {
  return {
    input: usage.input_tokens ?? 0,
    output: usage.output_tokens ?? 0,
    cacheRead: usage.cache_read_input_tokens ?? 0,
    cacheCreation: usage.cache_creation_input_tokens ?? 0,
  };
}

/** A one-line description of a CLI retry, e.g. `API error 529 (overloaded), retry 2 of 10 in 1.2 s`. */
export function describeRetry(retry: ApiRetry): string {
  // No HTTP status: the request never got an answer (no network, DNS, a refused connection).
  const what = retry.status
    ? `API error ${retry.status}${retry.error ? ` (${retry.error})` : ''}`
    : `could not reach the API${retry.error && retry.error !== 'unknown' ? ` (${retry.error})` : ''}`;
  const count =
    retry.attempt !== undefined
      ? `, retry ${retry.attempt}${retry.maxRetries !== undefined ? ` of ${retry.maxRetries}` : ''}`
      : '';
  const delay = retry.delayMs !== undefined ? ` in ${(retry.delayMs / 1000).toFixed(1)} s` : '';
  return `${what}${count}${delay}`;
}

/**
 * A short, one-line form of a tool's input for progress displays: the command
 * of Bash, the path of file tools, the pattern of searches, else compact JSON.
 */
export function shortInput(tool: string, input: unknown): string {
  if (input && typeof input === 'object') {
    const o = input as Record<string, unknown>;
    const pick = (...keys: string[]) => keys.map((k) => o[k]).find((v) => typeof v === 'string');
    const key =
      tool === 'Bash'
        ? pick('command')
        : pick('file_path', 'notebook_path', 'path', 'pattern', 'url', 'query', 'description');
    if (typeof key === 'string') return oneLine(key, MAX_INPUT);
  }
  return oneLine(JSON.stringify(input) ?? '', MAX_INPUT);
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) =>
        part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string'
          ? (part as { text: string }).text
          : '',
      )
      .filter(Boolean)
      .join('\n');
  }
  return content === undefined ? '' : (JSON.stringify(content) ?? '');
}

function oneLine(text: string, max: number): string {
  return truncate(text.replace(/\s*\n\s*/g, ' ').trim(), max);
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
