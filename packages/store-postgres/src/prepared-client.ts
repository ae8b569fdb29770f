import { createHash } from 'node:crypto';
import pg from 'pg';

/** Distinct statement texts given a name; past it a text runs unnamed (the server keeps each one per connection). */
const MAX_NAMED = 1_000;
const names = new Map<string, string>();
/** Texts whose prepared plan the server refused after a schema change: they run unnamed from then on. */
const unnamed = new Set<string>();
/** Texts seen once: prepared at their second use, so one-off texts (data inlined) never are. */
const seenOnce = new Set<string>();
const MAX_SEEN = 2_000;

/**
 * The name a statement is prepared under, the same on every connection for
 * the same text, or undefined when it runs unnamed: at its first use, and
 * always for what cannot be prepared (BEGIN, COMMIT, multi-statement blocks).
 */
function nameFor(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined) {
    if (names.size >= MAX_NAMED || unnamed.has(text)) return undefined;
    if (!/^\s*(SELECT|WITH|INSERT|UPDATE|DELETE)\b/i.test(text) || text.includes(';')) {
      return undefined;
    }
    if (!seenOnce.has(text)) {
      if (seenOnce.size >= MAX_SEEN) seenOnce.clear();
      seenOnce.add(text);
      return undefined;
    }
    seenOnce.delete(text);
    name = `sprint_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

/**
 * A `pg` client that prepares each statement once per connection (a named
 * statement, named by its text), so the server parses and plans it once
 * instead of at every call: for the store's statements and pg-boss's,
 * planning was half of their time on the server (pg-boss's fetch, its
 * values inlined, 0.5 of its 0.7 ms). BEGIN, COMMIT and multi-statement
 * blocks run as before.
 *
 * Pass it as the pool's `Client` (pg-boss hands its options to its pool).
 */
export class PreparingClient extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: pg's query() is a family of overloads; this passes every form through
  override query(config: any, values?: any, callback?: any): any {
    if (typeof config === 'string' && (values === undefined || Array.isArray(values))) {
      const name = nameFor(config);
      if (name) {
        const text = config;
        // A plan prepared before a schema change that alters the statement's result
        // ("cached plan must not change result type"): that text is never prepared again.
        const refused = (error: { code?: string } | null | undefined) => {
          if (error?.code === '0A000') {
            unnamed.add(text);
            names.delete(text);
          }
        };
        if (typeof callback === 'function') {
          return super.query(
            { name, text, values: values ?? [] },
            (error: Error | null, result: unknown) => {
              refused(error as { code?: string } | null);
              callback(error, result);
            },
          );
        }
        return super
          .query({ name, text, values: values ?? [] })
          .catch((error: { code?: string }) => {
            refused(error);
            throw error;
          });
      }
    }
    return super.query(config, values, callback);
  }
}
