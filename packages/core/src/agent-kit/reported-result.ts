import {
  type AgentError,
  type AgentErrorKind,
  type AgentResult,
  AgentResultSchema,
  type TokenUsage,
} from '../model/agent-result.js';
import type { ProcessEnd } from './process-end.js';
import { type TaskResult, TaskResultSchema } from './task-result.js';

/** A task report read from an agent's final message, or why none could be read. */
export type ReadReport = { ok: true; report: TaskResult } | { ok: false; why: string };

/**
 * Reads the task report from an agent's final message: the whole message as
 * JSON, else the last fenced or bare JSON object in it. `null` fields count
 * as absent (strict schemas make optional fields nullable). Pure.
 */
export function readTaskReport(message: string | undefined): ReadReport {
  if (message === undefined || !message.trim()) {
    return { ok: false, why: 'the agent ended without a final message' };
  }
  const candidates = jsonCandidates(message);
  if (candidates.length === 0) {
    return { ok: false, why: 'its final message holds no JSON object' };
  }
  let lastWhy = '';
  for (const candidate of candidates.reverse()) {
    const parsed = TaskResultSchema.safeParse(dropNulls(candidate));
    if (parsed.success) return { ok: true, report: parsed.data };
    lastWhy = parsed.error.issues
      .map((i) => `${i.path.join('.') || 'value'}: ${i.message}`)
      .join('; ');
  }
  return { ok: false, why: `its result does not match the result schema (${lastWhy})` };
}

/** Money, tokens and time of a run, common to every result. */
export interface ResultBase {
  costUsd: number;
  tokens: TokenUsage;
  durationMs: number;
  sessionId?: string;
  /** True when `costUsd` was priced from tokens by a table, not reported by the provider. */
  costEstimated?: boolean;
  /** The model an estimated cost was priced for, when known. */
  costModel?: string;
  /** True when an estimated cost was priced at the table's `*` fallback. */
  costFallback?: boolean;
}

/** The AgentResult for a task report. Success only for `completed`. Pure. */
export function reportedResult(report: TaskResult, base: ResultBase, end: ProcessEnd): AgentResult {
  const common = {
    ...base,
    summary: report.summary,
    deferredItems: report.deferred_items,
    filesChanged: report.files_changed,
  };
  switch (report.status) {
    case 'completed':
      return AgentResultSchema.parse({ ...common, success: true });
    case 'needs-human':
      return AgentResultSchema.parse({
        ...common,
        success: false,
        needsHuman: report.human_needed ?? { reason: report.summary, options: [] },
      });
    case 'failed':
    case 'blocked':
      return AgentResultSchema.parse({
        ...common,
        success: false,
        error: {
          kind: report.status,
          message: report.summary,
          exitCode: end.exitCode,
          signal: end.signal,
        },
      });
  }
}

/** A failed AgentResult. Pure. */
export function failureResult(
  base: ResultBase,
  end: ProcessEnd,
  kind: AgentErrorKind,
  message: string,
  extra: Partial<AgentError> = {},
): AgentResult {
  return AgentResultSchema.parse({
    ...base,
    success: false,
    summary: message,
    error: { kind, message, exitCode: end.exitCode, signal: end.signal, ...extra },
  });
}

/** How a CLI that ended without a usable result is named in messages. */
export interface EndContext {
  /** e.g. `the codex CLI`. */
  label: string;
  /** The agent's name, as in `config.<agent>`: messages name the limit keys a sprint file sets. */
  agent: string;
  binary: string;
  installHint: string;
  limits: { timeoutMs: number; idleTimeoutMs: number };
}

/**
 * The failure for a process that was not started, was cancelled, or hit a
 * limit; undefined when it exited on its own (the caller decides those). Pure.
 */
export function limitFailure(
  end: ProcessEnd,
  ctx: EndContext,
): { kind: AgentErrorKind; message: string } | undefined {
  switch (end.endedBy) {
    case 'spawn-error':
      return {
        kind:
          end.spawnError?.code === 'ENOENT' || end.spawnError?.code === 'EACCES'
            ? 'binary-missing'
            : 'crash',
        message: `Cannot start ${ctx.label} (${ctx.binary}): ${end.spawnError?.message ?? 'unknown error'}. ${ctx.installHint}`,
      };
    case 'cancel':
      return {
        kind: 'cancelled',
        message: `Cancelled after ${seconds(end.durationMs)}; ${ctx.label} was stopped.`,
      };
    case 'timeout':
      return {
        kind: 'timeout',
        message: `${capital(ctx.label)} ${limitPhrase('timeout', ctx)} and was stopped.${stderrNote(end)}`,
      };
    case 'idle':
      return {
        kind: 'idle',
        message: `${capital(ctx.label)} ${limitPhrase('idle', ctx)} and was stopped.${stderrNote(end)}`,
      };
    default:
      return undefined;
  }
}

/**
 * What a CLI did to hit a limit, naming the key that sets it as a sprint file
 * writes it (`idle-timeout-ms` under `config.codex`), not the option's
 * camelCase name. Pure.
 *
 * @example
 * limitPhrase('idle', { agent: 'codex', limits: { timeoutMs: 6e5, idleTimeoutMs: 9e5 } })
 * // 'printed nothing for 15 min (idle limit: idle-timeout-ms under config.codex)'
 */
export function limitPhrase(
  limit: 'timeout' | 'idle',
  ctx: Pick<EndContext, 'agent' | 'limits'>,
): string {
  return limit === 'timeout'
    ? `ran past its time limit of ${seconds(ctx.limits.timeoutMs)} (time limit: timeout-ms under config.${ctx.agent}, else the sprint's task-timeout)`
    : `printed nothing for ${seconds(ctx.limits.idleTimeoutMs)} (idle limit: idle-timeout-ms under config.${ctx.agent})`;
}

/** ` Last stderr: ...` for messages, or ''. */
export function stderrNote(end: ProcessEnd): string {
  const stderr = end.stderrTail.trim();
  return stderr ? ` Last stderr: ${clip(stderr.split('\n').slice(-5).join(' | '), 600)}` : '';
}

export function seconds(ms: number): string {
  return ms >= 120_000 ? `${Math.round(ms / 60_000)} min` : `${(ms / 1000).toFixed(1)} s`;
}

export function clip(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

function capital(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, dropNulls(v)]),
    );
  }
  return value;
}

/** JSON objects in a message: the whole text, fenced blocks, then top-level `{...}` spans. */
function jsonCandidates(text: string): unknown[] {
  const out: unknown[] = [];
  const tryParse = (s: string) => {
    try {
      const v = JSON.parse(s);
      if (v && typeof v === 'object' && !Array.isArray(v)) out.push(v);
    } catch {
      // not JSON
    }
  };
  const trimmed = text.trim();
  tryParse(trimmed);
  if (out.length) return out;
  for (const m of trimmed.matchAll(/```(?:json)?\s*\n([\s\S]*?)\n\s*```/g)) tryParse(m[1] ?? '');
  if (out.length) return out;
  // Balanced braces outside strings: each top-level object.
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < trimmed.length; i++) {
    const c = trimmed[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"' && depth > 0) inString = true;
    else if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' && depth > 0) {
      depth--;
      if (depth === 0 && start >= 0) tryParse(trimmed.slice(start, i + 1));
    }
  }
  return out;
}
