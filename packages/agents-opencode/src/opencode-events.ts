import { type AgentActivity, addTokens, type TokenUsage, ZERO_TOKENS } from '@sprint/core';
import { briefInput, parseJsonLine, truncate } from '@sprint/core/agent-kit';
import { z } from 'zod';

/**
 * `opencode run --format json` lines: `{type, timestamp, sessionID, part}`
 * with `step_start`, `text`, `tool_use`, `step_finish` (tokens and cost per
 * step) and `error`. Objects stay loose so a newer CLI still parses.
 */
const PartSchema = z.looseObject({
  type: z.string().optional(),
  text: z.string().optional(),
  tool: z.string().optional(),
  state: z
    .looseObject({
      status: z.string().optional(),
      input: z.unknown().optional(),
      output: z.string().optional(),
      error: z.string().optional(),
    })
    .optional(),
  reason: z.string().optional(),
  tokens: z
    .looseObject({
      input: z.number().nullish(),
      output: z.number().nullish(),
      reasoning: z.number().nullish(),
      cache: z.looseObject({ read: z.number().nullish(), write: z.number().nullish() }).nullish(),
    })
    .nullish(),
  cost: z.number().nullish(),
});

const EventSchema = z.looseObject({
  type: z.string(),
  sessionID: z.string().optional(),
  part: PartSchema.optional(),
  error: z.unknown().optional(),
});

/** What the run has shown so far; the verdict is made from it. */
export interface OpencodeState {
  sessionId?: string;
  tokens: TokenUsage;
  /** The provider's cost as opencode priced it (0 for models it has no price for). */
  costUsd: number;
  /** The text of the last step that made no tool call: the final message. */
  message: string;
  /** The last step's finish reason (`stop`, `tool-calls`, `length`, ...). */
  finishReason?: string;
  /** An `error` event's message. */
  error?: string;
}

export const INITIAL_OPENCODE_STATE: OpencodeState = {
  tokens: ZERO_TOKENS,
  costUsd: 0,
  message: '',
};

export interface OpencodeStep {
  state: OpencodeState;
  activities: AgentActivity[];
}

/** Reads one stdout line of `opencode run --format json`. Pure. */
export function readOpencodeLine(state: OpencodeState, line: string): OpencodeStep {
  const e = parseJsonLine(EventSchema, line);
  if (!e) return { state, activities: [] };
  const part = e.part;
  const first = !state.sessionId && e.sessionID;
  const next: OpencodeState = first ? { ...state, sessionId: e.sessionID } : state;
  const init: AgentActivity[] = first ? [{ kind: 'init', sessionId: e.sessionID }] : [];
  switch (e.type) {
    case 'step_start':
      return { state: { ...next, message: '' }, activities: init };
    case 'text':
      return {
        state: { ...next, message: next.message + (part?.text ?? '') },
        activities: [...init, ...(part?.text ? [{ kind: 'text' as const, text: part.text }] : [])],
      };
    case 'tool_use': {
      const tool = part?.tool ?? 'tool';
      const s = part?.state;
      return {
        state: next,
        activities: [
          ...init,
          { kind: 'tool-use', tool, input: briefInput(s?.input, BRIEF_KEYS) },
          {
            kind: 'tool-result',
            tool,
            isError: s?.status === 'error',
            output: truncate(s?.error ?? s?.output ?? '', 2000),
          },
        ],
      };
    }
    case 'step_finish': {
      const t = part?.tokens;
      const tokens = addTokens(next.tokens, {
        input: t?.input ?? 0,
        output: (t?.output ?? 0) + (t?.reasoning ?? 0),
        cacheRead: t?.cache?.read ?? 0,
        cacheCreation: t?.cache?.write ?? 0,
      });
      const costUsd = next.costUsd + (part?.cost ?? 0);
      return {
        state: { ...next, tokens, costUsd, ...(part?.reason ? { finishReason: part.reason } : {}) },
        activities: [...init, { kind: 'usage', tokens, costUsd }],
      };
    }
    case 'error': {
      const message = errorMessage(e.error) ?? 'unknown error';
      return {
        state: { ...next, error: message },
        activities: [...init, { kind: 'log', stream: 'stderr', line: message }],
      };
    }
    default:
      return { state: next, activities: init };
  }
}

function errorMessage(error: unknown): string | undefined {
  if (typeof error === 'string') return error;
  if (error && typeof error === 'object') {
    const o = error as { name?: string; message?: string; data?: { message?: string } };
    const text = o.data?.message ?? o.message;
    return [o.name, text].filter(Boolean).join(': ') || JSON.stringify(error);
  }
  return undefined;
}

/** The tool input fields shown as its one-line summary, first found first. */
const BRIEF_KEYS = ['command', 'filePath', 'path', 'pattern', 'url'];
