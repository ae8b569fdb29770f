import { type AgentActivity, addTokens, type TokenUsage, ZERO_TOKENS } from '@sprint/core';
import { clip, parseJsonLine, truncate } from '@sprint/core/agent-kit';
import { z } from 'zod';

/**
 * `codex exec --json` lines (one `ThreadEvent` per line), validated at the
 * edge. Only the fields read here are declared; objects stay loose so a newer
 * CLI that adds fields still parses.
 */
const ItemSchema = z.looseObject({
  id: z.string().optional(),
  type: z.string(),
  text: z.string().optional(),
  message: z.string().optional(),
  command: z.string().optional(),
  aggregated_output: z.string().optional(),
  exit_code: z.number().nullish(),
  status: z.string().optional(),
  changes: z.array(z.looseObject({ path: z.string(), kind: z.string().optional() })).optional(),
  server: z.string().optional(),
  tool: z.string().optional(),
  arguments: z.unknown().optional(),
  error: z.looseObject({ message: z.string() }).nullish(),
  query: z.string().optional(),
});

const UsageSchema = z.looseObject({
  input_tokens: z.number().nullish(),
  cached_input_tokens: z.number().nullish(),
  output_tokens: z.number().nullish(),
});

const EventSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('thread.started'), thread_id: z.string() }),
  z.looseObject({ type: z.literal('turn.started') }),
  z.looseObject({ type: z.literal('turn.completed'), usage: UsageSchema.nullish() }),
  z.looseObject({
    type: z.literal('turn.failed'),
    error: z.looseObject({ message: z.string() }),
  }),
  z.looseObject({ type: z.literal('item.started'), item: ItemSchema }),
  z.looseObject({ type: z.literal('item.updated'), item: ItemSchema }),
  z.looseObject({ type: z.literal('item.completed'), item: ItemSchema }),
  z.looseObject({ type: z.literal('error'), message: z.string() }),
]);

/** What the run has shown so far; the verdict is made from it. */
export interface CodexState {
  threadId?: string;
  tokens: TokenUsage;
  /** The text of the last `agent_message` item: with `--output-schema`, the result. */
  lastMessage?: string;
  /** `turn.failed`'s message: the turn ended without an answer. */
  turnFailed?: string;
  /** The last top-level `error` event (the CLI's retries and fatal stream errors). */
  lastError?: string;
  turnCompleted: boolean;
}

export const INITIAL_CODEX_STATE: CodexState = { tokens: ZERO_TOKENS, turnCompleted: false };

/** One line's effect: the next state and the activities to stream. */
export interface CodexStep {
  state: CodexState;
  activities: AgentActivity[];
}

/**
 * Reads one stdout line of `codex exec --json`. Pure. Lines that are not
 * events (the CLI prints none, but a wrapper might) are ignored.
 */
export function readCodexLine(state: CodexState, line: string): CodexStep {
  const event = parseJsonLine(EventSchema, line);
  if (!event) return { state, activities: [] };
  switch (event.type) {
    case 'thread.started':
      return {
        state: { ...state, threadId: event.thread_id },
        activities: [{ kind: 'init', sessionId: event.thread_id }],
      };
    case 'turn.started':
      return { state, activities: [] };
    case 'turn.completed': {
      const u = event.usage;
      const cached = u?.cached_input_tokens ?? 0;
      // OpenAI counts cached tokens inside input_tokens; keep them apart as the claude agent does.
      const turn: TokenUsage = {
        input: Math.max(0, (u?.input_tokens ?? 0) - cached),
        output: u?.output_tokens ?? 0,
        cacheRead: cached,
        cacheCreation: 0,
      };
      const tokens = addTokens(state.tokens, turn);
      return {
        state: { ...state, tokens, turnCompleted: true },
        activities: [{ kind: 'usage', tokens }],
      };
    }
    case 'turn.failed':
      return { state: { ...state, turnFailed: event.error.message }, activities: [] };
    case 'error':
      return {
        state: { ...state, lastError: event.message },
        activities: [{ kind: 'retry', message: event.message }],
      };
    case 'item.started':
    case 'item.updated':
    case 'item.completed':
      return readItem(state, event.type, event.item);
  }
}

function readItem(
  state: CodexState,
  phase: 'item.started' | 'item.updated' | 'item.completed',
  item: z.infer<typeof ItemSchema>,
): CodexStep {
  const done = phase === 'item.completed';
  switch (item.type) {
    case 'agent_message':
      if (!done || item.text === undefined) return { state, activities: [] };
      return {
        state: { ...state, lastMessage: item.text },
        activities: [{ kind: 'text', text: item.text }],
      };
    case 'command_execution':
      if (phase === 'item.started') {
        return {
          state,
          activities: [{ kind: 'tool-use', tool: 'shell', input: clip(item.command ?? '', 200) }],
        };
      }
      if (!done) return { state, activities: [] };
      return {
        state,
        activities: [
          {
            kind: 'tool-result',
            tool: 'shell',
            isError: item.status !== 'completed' || (item.exit_code ?? 0) !== 0,
            output: truncate(item.aggregated_output ?? '', 2000),
          },
        ],
      };
    case 'file_change':
      if (!done) return { state, activities: [] };
      return {
        state,
        activities: [
          {
            kind: 'tool-use',
            tool: 'edit',
            input: clip(
              (item.changes ?? []).map((c) => `${c.kind ?? 'update'} ${c.path}`).join(', '),
              200,
            ),
          },
          {
            kind: 'tool-result',
            tool: 'edit',
            isError: item.status === 'failed',
            output: item.status ?? '',
          },
        ],
      };
    case 'mcp_tool_call':
      if (phase === 'item.started') {
        return {
          state,
          activities: [
            {
              kind: 'tool-use',
              tool: `${item.server ?? 'mcp'}.${item.tool ?? '?'}`,
              input: clip(JSON.stringify(item.arguments ?? {}), 200),
            },
          ],
        };
      }
      if (!done) return { state, activities: [] };
      return {
        state,
        activities: [
          {
            kind: 'tool-result',
            tool: `${item.server ?? 'mcp'}.${item.tool ?? '?'}`,
            isError: item.status === 'failed',
            output: item.error?.message ?? item.status ?? '',
          },
        ],
      };
    case 'web_search':
      if (phase !== 'item.started') return { state, activities: [] };
      return {
        state,
        activities: [{ kind: 'tool-use', tool: 'web_search', input: item.query ?? '' }],
      };
    case 'error':
      if (!done) return { state, activities: [] };
      return { state, activities: [{ kind: 'log', stream: 'stderr', line: item.message ?? '' }] };
    default:
      return { state, activities: [] };
  }
}
