import type { Context } from 'hono';
import type { z } from 'zod';
import { ApiError, type FieldIssue } from './problem.js';

/** Default request body limit: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Deepest JSON nesting a body may have; deeper data would only strain the stores. */
const MAX_JSON_DEPTH = 32;

/**
 * Reads a JSON body of at most `limit` bytes and validates it with `schema`.
 * An empty body reads as `{}`, so routes whose fields are all optional need none.
 *
 * Throws `ApiError`: 413 over the limit (checked on `Content-Length` first, so
 * an announced oversize body is never read), 415 for another media type, 400
 * for bytes that are not UTF-8 JSON, 422 naming each field the schema refuses.
 */
export async function readJson<S extends z.ZodType>(
  c: Context,
  schema: S,
  limit: number,
): Promise<z.output<S>> {
  const text = await readText(c, limit);
  let value: unknown = {};
  if (text.trim() !== '') {
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json' && !type.endsWith('+json')) {
      throw new ApiError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `Send the body as JSON with "Content-Type: application/json" (got ${type ? `"${type}"` : 'none'}).`,
      );
    }
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new ApiError(
        400,
        'MALFORMED_JSON',
        `The body is not valid JSON: ${(error as Error).message}`,
      );
    }
  }
  if (depthOf(value, MAX_JSON_DEPTH + 1) > MAX_JSON_DEPTH) {
    throw new ApiError(
      422,
      'VALIDATION_FAILED',
      `The body nests deeper than ${MAX_JSON_DEPTH} levels.`,
      {
        issues: [{ field: '(body)', message: `nesting deeper than ${MAX_JSON_DEPTH} levels` }],
      },
    );
  }
  return validate(schema, value);
}

/** Validates a value with a zod schema; 422 naming every refused field. */
export function validate<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues: FieldIssue[] = parsed.error.issues.flatMap((i) => {
    const at = i.path.map(String);
    // An unknown key is named itself, so "binary" is what the client sees, not the object holding it.
    if (i.code === 'unrecognized_keys') {
      return i.keys.map((key) => ({ field: [...at, key].join('.'), message: 'unknown field' }));
    }
    return [{ field: at.length ? at.join('.') : '(body)', message: plainMessage(i, value) }];
  });
  const summary = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
  throw new ApiError(422, 'VALIDATION_FAILED', `Invalid request: ${summary}`, { issues });
}

/** What a client reads for a type it sent: `text`, not zod's `string`. */
const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
};

/**
 * zod's message, except for a field left out or left empty: "required (text)" and
 * "must not be empty" say what to send, where zod says "expected string, received undefined".
 */
function plainMessage(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code === 'invalid_type' && valueAt(value, issue.path) === undefined) {
    const word = TYPE_WORDS[issue.expected];
    return word ? `required (${word})` : 'required';
  }
  if (issue.code === 'too_small' && issue.origin === 'string' && Number(issue.minimum) === 1) {
    return 'must not be empty';
  }
  return issue.message;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const key of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

async function readText(c: Context, limit: number): Promise<string> {
  const tooLarge = () =>
    new ApiError(413, 'PAYLOAD_TOO_LARGE', `The body is larger than the limit of ${limit} bytes.`);
  const announced = c.req.header('content-length');
  if (announced !== undefined && Number(announced) > limit) throw tooLarge();
  const body = c.req.raw.body;
  if (!body) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ApiError(400, 'MALFORMED_JSON', 'The body is not valid UTF-8.');
  }
}

/** The nesting depth of a JSON value, counted up to `stop`. */
function depthOf(value: unknown, stop: number): number {
  if (value === null || typeof value !== 'object') return 0;
  let deepest = 0;
  for (const child of Array.isArray(value) ? value : Object.values(value)) {
    if (deepest + 1 >= stop) break;
    deepest = Math.max(deepest, depthOf(child, stop - 1));
  }
  return deepest + 1;
}
