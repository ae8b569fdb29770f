import { type AgentActivity, addTokens, type TokenUsage, ZERO_TOKENS } from '@sprint/core';
import { briefInput, parseJsonLine, truncate } from '@sprint/core/agent-kit';
import { z } from 'zod';

/**
 * `gemini -p --output-format stream-json` lines, validated at the edge
 * (`init`, `message`, `tool_use`, `tool_result`, `error`, `result`). Objects
 * stay loose so a newer CLI that adds fields still parses.
 */
const StatsSchema = z.looseObject({
  input_tokens: z.number().nullish(),
  output_tokens: z.number().nullish(),
  cached: z.number().nullish(),
  input: z.number().nullish(),
  models: z.record(z.string(), z.looseObject({})).nullish(),
});

const ErrorSchema = z.looseObject({ type: z.string().optional(), message: z.string() });

const EventSchema = z.discriminatedUnion('type', [
  z.looseObject({
    type: z.literal('init'),
    session_id: z.string().optional(),
    model: z.string().optional(),
  }),
  z.looseObject({
    type: z.literal('message'),
    role: z.string(),
    content: z.string(),
    delta: z.boolean().optional(),
  }),
  z.looseObject({
    type: z.literal('tool_use'),
    tool_name: z.string(),
    tool_id: z.string().optional(),
    parameters: z.unknown().optional(),
  }),
  z.looseObject({
    type: z.literal('tool_result'),
    tool_id: z.string().optional(),
    status: z.string(),
    output: z.string().optional(),
    error: ErrorSchema.nullish(),
  }),
  z.looseObject({ type: z.literal('error'), severity: z.string().optional(), message: z.string() }),
  z.looseObject({
    type: z.literal('result'),
    status: z.string(),
    error: ErrorSchema.nullish(),
    stats: StatsSchema.nullish(),
  }),
]);

/** What the run has shown so far; the verdict is made from it. */
export interface GeminiState {
  sessionId?: string;
  /** The model the CLI used for the turns (from `stats.models`, else `init`). */
  model?: string;
  tokens: TokenUsage;
  /** The assistant's text since the last tool call: its final message once the run ends. */
  message: string;
  /** Tool names by id, to name results. */
  tools: Record<string, string>;
  /** The `result` line, once seen. */
  result?: { status: string; error?: { type?: string; message: string } };
  /** The last `error` line (warnings and errors the CLI reported). */
  lastError?: string;
}

export const INITIAL_GEMINI_STATE: GeminiState = { tokens: ZERO_TOKENS, message: '', tools: {} };

/** One line's effect: the next state and the activities to stream. */
export interface GeminiStep {
  state: GeminiState;
  activities: AgentActivity[];
}

/** Reads one stdout line of `gemini --output-format stream-json`. Pure. */
export function readGeminiLine(state: GeminiState, line: string): GeminiStep {
  const e = parseJsonLine(EventSchema, line);
  if (!e) return { state, activities: [] };
  switch (e.type) {
    case 'init':
      return {
        state: {
          ...state,
          ...(e.session_id ? { sessionId: e.session_id } : {}),
          ...(e.model && e.model !== 'auto' ? { model: e.model } : {}),
        },
        activities: [{ kind: 'init', sessionId: e.session_id, model: e.model }],
      };
    case 'message':
      if (e.role !== 'assistant') return { state, activities: [] };
      return {
        state: { ...state, message: e.delta ? state.message + e.content : e.content },
        activities: e.content ? [{ kind: 'text', text: e.content }] : [],
      };
    case 'tool_use':
      return {
        state: {
          ...state,
          message: '',
          tools: e.tool_id ? { ...state.tools, [e.tool_id]: e.tool_name } : state.tools,
        },
        activities: [
          { kind: 'tool-use', tool: e.tool_name, input: briefInput(e.parameters, BRIEF_KEYS) },
        ],
      };
    case 'tool_result': {
      const tool = e.tool_id ? state.tools[e.tool_id] : undefined;
      return {
        state,
        activities: [
          {
            kind: 'tool-result',
            ...(tool ? { tool } : {}),
            isError: e.status !== 'success',
            output: truncate(e.error?.message ?? e.output ?? '', 2000),
          },
        ],
      };
    }
    case 'error':
      return {
        state: { ...state, lastError: e.message },
        activities: [{ kind: 'log', stream: 'stderr', line: e.message }],
      };
    case 'result': {
      const s = e.stats;
      const cached = s?.cached ?? 0;
      const tokens = s
        ? addTokens(ZERO_TOKENS, {
            input: s.input ?? Math.max(0, (s.input_tokens ?? 0) - cached),
            output: s.output_tokens ?? 0,
            cacheRead: cached,
            cacheCreation: 0,
          })
        : state.tokens;
      // The model that did the work: the one with the most tokens (the router's own calls are tiny).
      const models = Object.entries(s?.models ?? {}) as [string, { total_tokens?: number }][];
      const main = models.sort(
        (a, b) => (b[1].total_tokens ?? 0) - (a[1].total_tokens ?? 0),
      )[0]?.[0];
      return {
        state: {
          ...state,
          tokens,
          ...(main ? { model: main } : {}),
          result: { status: e.status, ...(e.error ? { error: e.error } : {}) },
        },
        activities: [{ kind: 'usage', tokens }],
      };
    }
  }
}

/** The tool input fields shown as its one-line summary, first found first. */
const BRIEF_KEYS = ['command', 'file_path', 'absolute_path', 'path', 'pattern', 'url', 'query'];
