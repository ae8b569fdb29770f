import type { z } from 'zod';
import { clip } from './reported-result.js';

/**
 * One stdout line of a CLI's JSON stream, validated by `schema`; undefined
 * for a line that is not a JSON object or not an event the schema knows. Pure.
 */
export function parseJsonLine<S extends z.ZodType>(
  schema: S,
  line: string,
): z.output<S> | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** `text` cut to `max` characters with an ellipsis, whitespace kept (tool output). Pure. */
export function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * A tool's input as one short line, as the claude agent shows it: the first
 * of `keys` that holds a string (a command, a path), else the input as JSON. Pure.
 */
export function briefInput(input: unknown, keys: readonly string[]): string {
  const o = input && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  const key = keys.find((k) => typeof o[k] === 'string');
  return clip(key ? String(o[key]) : (JSON.stringify(input) ?? ''), 200);
}
