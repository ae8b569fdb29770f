import type { HumanNeeded, TokenUsage } from '../../model/agent-result.js';
import type { StopReason } from '../../model/events.js';
import { AGENT_ERROR_KINDS, ATTEMPT_OUTCOMES, LIMITS } from '../../model/kinds.js';
import type { Attempt } from '../../model/state.js';

/** A check of one value, shaped like a zod schema's `safeParse` (a zod schema is one). */
export interface ValueCheck<T> {
  safeParse(value: unknown):
    | { success: true; data: T }
    | {
        success: false;
        error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] };
      };
}

/** The checks PROGRESS.yaml's records take: the model's zod schemas, or `QUICK_CHECKS`. */
export interface ProgressChecks {
  attempt: ValueCheck<Attempt>;
  tokens: ValueCheck<TokenUsage>;
  question: ValueCheck<HumanNeeded>;
  stopReason: ValueCheck<StopReason>;
}

/** A list of the values a field may take, or what kind of value it holds. */
type Kind =
  | readonly string[]
  | Shape
  | 'text'
  | 'texts'
  | 'flag'
  /** A finite number of at least 0. */
  | 'amount'
  | 'positive-int'
  | 'int-or-null'
  | 'text-or-null';
/** A field: its kind, and whether it must be there or what zod fills in when it is not. */
type Field = readonly [kind: Kind, absent?: 'required' | (() => unknown)];
/** A map's fields in the order of the model's schema, which is the order zod gives them. */
type Shape = { readonly [key: string]: Field };

const REQUIRED = 'required';
const zero = () => 0;

const AGENT_ERROR: Shape = {
  kind: [AGENT_ERROR_KINDS, REQUIRED],
  message: ['text', REQUIRED],
  resetAt: ['text'],
  retryAfterMs: ['amount'],
  exitCode: ['int-or-null'],
  signal: ['text-or-null'],
};

/** `AttemptSchema`'s fields, in its order. */
export const ATTEMPT: Shape = {
  n: ['positive-int', REQUIRED],
  agent: ['text', REQUIRED],
  startedAt: ['text', REQUIRED],
  endedAt: ['text'],
  host: ['text'],
  runId: ['text'],
  pid: ['int-or-null'],
  pidStart: ['text'],
  outcome: [ATTEMPT_OUTCOMES],
  counted: ['flag'],
  error: [AGENT_ERROR],
  sessionId: ['text'],
  commitError: ['text'],
  costUsd: ['amount'],
  costEstimated: ['flag'],
  costModel: ['text'],
  costFallback: ['flag'],
  durationMs: ['amount'],
};

const TOKENS: Shape = {
  input: ['amount', zero],
  output: ['amount', zero],
  cacheRead: ['amount', zero],
  cacheCreation: ['amount', zero],
};

const QUESTION: Shape = {
  reason: ['text', REQUIRED],
  details: ['text'],
  options: ['texts', () => []],
};

const STOP_REASONS: { readonly [kind: string]: Shape } = {
  completed: { kind: ['text', REQUIRED] },
  paused: { kind: ['text', REQUIRED] },
  stopped: { kind: ['text', REQUIRED] },
  cancelled: { kind: ['text', REQUIRED], reason: ['text', REQUIRED] },
  blocked: { kind: ['text', REQUIRED], taskId: ['text'], reason: ['text', REQUIRED] },
  'needs-human': { kind: ['text', REQUIRED], taskId: ['text', REQUIRED] },
  limit: { kind: ['text', REQUIRED], limit: [LIMITS, REQUIRED], detail: ['text', REQUIRED] },
  interrupted: { kind: ['text', REQUIRED], detail: ['text', REQUIRED] },
};

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `value` as zod gives it for `shape`, or undefined when zod might say otherwise. */
function conform(value: unknown, shape: Shape): Record<string, unknown> | undefined {
  if (!isMap(value)) return undefined;
  // zod drops keys it does not know; they are reported by the full read.
  for (const key of Object.keys(value)) if (!Object.hasOwn(shape, key)) return undefined;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(shape)) {
    const [kind, absent] = shape[key]!;
    const v = value[key];
    if (v === undefined) {
      if (absent === REQUIRED) return undefined;
      if (absent) out[key] = absent();
      continue;
    }
    const ok = conformValue(v, kind);
    if (ok === undefined) return undefined;
    out[key] = ok;
  }
  return out;
}

function conformValue(v: unknown, kind: Kind): unknown {
  switch (kind) {
    case 'text':
      return typeof v === 'string' ? v : undefined;
    case 'texts':
      return Array.isArray(v) && v.every((s) => typeof s === 'string') ? [...v] : undefined;
    case 'flag':
      return typeof v === 'boolean' ? v : undefined;
    case 'amount':
      return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
    case 'positive-int':
      return Number.isSafeInteger(v) && (v as number) > 0 ? v : undefined;
    case 'int-or-null':
      return v === null || Number.isSafeInteger(v) ? v : undefined;
    case 'text-or-null':
      return v === null || typeof v === 'string' ? v : undefined;
  }
  if (Array.isArray(kind)) return typeof v === 'string' && kind.includes(v) ? v : undefined;
  return conform(v, kind as Shape);
}

const UNSURE = {
  success: false,
  error: { issues: [{ path: [], message: 'left to the model schema' }] },
} as const;

function check<T>(conformed: (value: unknown) => unknown): ValueCheck<T> {
  return {
    safeParse(value) {
      const data = conformed(value);
      return data === undefined ? UNSURE : { success: true, data: data as T };
    },
  };
}

/**
 * Checks that pass exactly what the model's zod schemas pass, with the same
 * result, for the values sprint writes, without loading zod; anything else
 * fails ("unsure"), and the caller then reads the file with the schemas, which
 * say what is wrong.
 */
export const QUICK_CHECKS: ProgressChecks = {
  attempt: check((v) => conform(v, ATTEMPT)),
  tokens: check((v) => conform(v, TOKENS)),
  question: check((v) => conform(v, QUESTION)),
  stopReason: check((v) => {
    const kind = isMap(v) ? v.kind : undefined;
    if (typeof kind !== 'string' || !Object.hasOwn(STOP_REASONS, kind)) return undefined;
    return conform(v, STOP_REASONS[kind]!);
  }),
};
