import { parseDuration } from '../../model/duration.js';
import type { Issue } from '../../model/errors.js';
import { withinOneEdit } from '../../model/validate.js';
import type { ValueCheck } from './quick-checks.js';
import type { LineLocator, YamlPath } from './yaml-source.js';

const NO_PATH: YamlPath = [];

/** Where a value sits: the file, a path inside it, and the list its problems go to. */
export class FieldCursor {
  #path: YamlPath | undefined;
  #parent: FieldCursor | undefined;
  #segment: string | number | undefined;

  constructor(
    readonly file: string,
    path: YamlPath,
    readonly issues: Issue[],
    private readonly locate?: LineLocator,
    private readonly fallbackLine?: number,
  ) {
    this.#path = path;
  }

  /** A cursor for one key or index below this one. */
  at(segment: string | number): FieldCursor {
    // Made for every field read and needed only for a problem: the path is built when asked for.
    const child = new FieldCursor(this.file, NO_PATH, this.issues, this.locate, this.fallbackLine);
    child.#path = undefined;
    child.#parent = this;
    child.#segment = segment;
    return child;
  }

  get path(): YamlPath {
    this.#path ??= [...this.#parent!.path, this.#segment!];
    return this.#path;
  }

  /** `queue[2].depends-on`, or undefined at the top of the file. */
  get field(): string | undefined {
    let out = '';
    for (const s of this.path) out += typeof s === 'number' ? `[${s}]` : out ? `.${s}` : s;
    return out || undefined;
  }

  get line(): number | undefined {
    return this.locate?.(this.path) ?? this.fallbackLine;
  }

  issue(message: string, fix?: string): void {
    this.issues.push({ file: this.file, field: this.field, line: this.line, message, fix });
  }
}

/** How a value reads in a message: `"text"`, `42`, `a list`, `a map`. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  return String(value);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function keyName(c: FieldCursor): string {
  const last = c.path.at(-1);
  return typeof last === 'string' ? last : (c.field ?? 'value');
}

/** A string, or undefined when absent (null counts as absent). */
export function readString(value: unknown, c: FieldCursor, example?: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  c.issue(
    `expected text, found ${describe(value)}`,
    `write ${keyName(c)} as text${example ? `, for example ${keyName(c)}: ${example}` : ' (quote it)'}`,
  );
  return undefined;
}

export function readBoolean(value: unknown, c: FieldCursor): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  c.issue(`expected true or false, found ${describe(value)}`, `write ${keyName(c)}: true or false`);
  return undefined;
}

export function readNumber(
  value: unknown,
  c: FieldCursor,
  rules: { integer?: boolean; min?: number; positive?: boolean; example?: string } = {},
): number | undefined {
  if (value === undefined || value === null) return undefined;
  const kind = rules.integer ? 'a whole number' : 'a number';
  const bound = rules.positive
    ? ' greater than 0'
    : rules.min !== undefined
      ? ` of at least ${rules.min}`
      : '';
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (!rules.integer || Number.isInteger(value)) &&
    (!rules.positive || value > 0) &&
    (rules.min === undefined || value >= rules.min);
  if (ok) return value;
  c.issue(
    `expected ${kind}${bound}, found ${describe(value)}`,
    `write ${kind}${bound}${rules.example ? `, for example ${keyName(c)}: ${rules.example}` : ''}`,
  );
  return undefined;
}

/** A list of strings; `single` also accepts one string written alone. */
export function readStringList(
  value: unknown,
  c: FieldCursor,
  options: { single?: boolean } = {},
): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' && options.single) return [value];
  if (!Array.isArray(value)) {
    c.issue(
      `expected a list of text${options.single ? ' (or one text)' : ''}, found ${describe(value)}`,
      `write ${keyName(c)} as a list, one "- item" a line`,
    );
    return undefined;
  }
  const out: string[] = [];
  value.forEach((item, i) => {
    if (typeof item === 'string') out.push(item);
    else if (typeof item === 'number') out.push(String(item));
    else c.at(i).issue(`expected text, found ${describe(item)}`, 'write each item as text');
  });
  return out;
}

/** A map, or undefined (with an issue when something else is there). */
export function readMap(value: unknown, c: FieldCursor): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (isRecord(value)) return value;
  c.issue(
    `expected a map of keys, found ${describe(value)}`,
    `write ${keyName(c)} as "key: value" lines indented below it`,
  );
  return undefined;
}

/** A duration such as `30m` or `1h30m`, or a number of seconds; milliseconds. */
export function readDuration(
  value: unknown,
  c: FieldCursor,
  options: { positive?: boolean } = {},
): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms =
    typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : undefined;
  if (ms !== undefined && (!options.positive || ms > 0)) return Math.round(ms);
  c.issue(
    `expected a duration, found ${describe(value)}`,
    `write a duration such as 30m, 1h30m or 90s, or a number of seconds${options.positive ? ' greater than 0' : ''}`,
  );
  return undefined;
}

/** Checks a value against a model schema and reports each problem at its own path. */
export function readWithSchema<T>(
  schema: ValueCheck<T>,
  value: unknown,
  c: FieldCursor,
  toDiskKey: (key: string) => string = (k) => k,
): T | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const problem of result.error.issues) {
    let at = c;
    for (const segment of problem.path) {
      at = at.at(typeof segment === 'number' ? segment : toDiskKey(String(segment)));
    }
    const p = problem as unknown as Record<string, unknown>;
    const last = at.path.at(-1);
    const name = typeof last === 'string' ? last : 'value';
    const allowed = (
      Array.isArray(p.values) ? p.values : Array.isArray(p.options) ? p.options : undefined
    ) as unknown[] | undefined;
    if (p.code === 'invalid_type' && problem.message.endsWith('received undefined')) {
      at.issue(`missing ${name}`, `add "${name}: ..."`);
    } else if (allowed) {
      at.issue(problem.message, `use one of: ${allowed.join(', ')}`);
    } else if (p.code === 'invalid_type') {
      at.issue(
        problem.message,
        `write ${p.expected === 'string' ? 'text' : `a ${String(p.expected)}`}`,
      );
    } else if (p.code === 'too_small' || p.code === 'too_big') {
      const bound = p.code === 'too_small' ? p.minimum : p.maximum;
      const op =
        p.code === 'too_small'
          ? p.inclusive
            ? 'at least'
            : 'more than'
          : p.inclusive
            ? 'at most'
            : 'less than';
      at.issue(problem.message, `write a value ${op} ${String(bound)}`);
    } else {
      at.issue(problem.message, `correct ${name} or remove it`);
    }
  }
  return undefined;
}

/** `cacheRead` -> `cache-read`. */
export function kebabCase(key: string): string {
  return key.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);
}

/** `cache-read` -> `cacheRead`. */
export function camelCase(key: string): string {
  return key.replace(/-([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());
}

/** Renames the keys of plain maps, deeply (lists included); drops undefined values. */
export function renameKeys(value: unknown, rename: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => renameKeys(v, rename));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined) out[rename(k)] = renameKeys(v, rename);
  }
  return out;
}

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The known name closest to `name`, when one is close enough to be a slip. */
export function didYouMean(name: string, known: readonly string[]): string | undefined {
  const norm = (s: string) =>
    kebabCase(s)
      .toLowerCase()
      .replace(/[_\s]+/g, '-');
  const n = norm(name);
  const exact = known.find((k) => norm(k) === n);
  if (exact) return exact;
  // `attempts` for `max-attempts`, `timeout` for `task-timeout`: a part of one known name.
  const containing = known.filter(
    (k) => norm(k).split('-').includes(n) || norm(k).endsWith(`-${n}`),
  );
  if (containing.length === 1) return containing[0];
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = distance(n, norm(k));
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(n.length / 4))
    ? best
    : undefined;
}

/**
 * The known name `name` is a slip of, by a narrower rule than `didYouMean`, for
 * places where other names are allowed (a task's own fields): the same but for
 * case or separators (`pause_after`, `PauseAfter`), or one letter off (added,
 * dropped, changed or two swapped) when both are at least `minLength` long. A
 * plural `s` is not a slip (`label` beside `labels` is a field of its own).
 */
export function nearMiss(
  name: string,
  known: readonly string[],
  minLength = 5,
): string | undefined {
  if (known.includes(name)) return undefined;
  const bare = (s: string) => s.toLowerCase().replace(/[-_\s]+/g, '');
  const n = bare(name);
  const same = known.find((k) => bare(k) === n);
  if (same) return same;
  return known.find((k) => {
    const b = bare(k);
    if (Math.min(n.length, b.length) < minLength) return false;
    if (n === `${b}s` || b === `${n}s`) return false;
    return withinOneEdit(n, b);
  });
}

/**
 * Reports keys of `map` that are not in `known`. With `strict` every unknown
 * key is a problem; otherwise only those that look like a slip of a known one.
 */
export function checkKeys(
  map: Record<string, unknown>,
  c: FieldCursor,
  known: readonly string[],
  options: { strict: boolean; what: string },
): void {
  for (const key of Object.keys(map)) {
    if (known.includes(key)) continue;
    const guess = didYouMean(key, known);
    if (guess)
      c.at(key).issue(
        `unknown ${options.what} "${key}"`,
        `did you mean "${guess}"? rename it to ${guess}`,
      );
    else if (options.strict) {
      c.at(key).issue(
        `unknown ${options.what} "${key}"`,
        `remove it; known keys: ${known.join(', ')}`,
      );
    }
  }
}

/** Ids, priorities and statuses read case by case: the suggestion for a wrong one. */
export function oneOf(value: string, allowed: readonly string[]): string {
  const guess = didYouMean(value, allowed);
  return `use one of: ${allowed.join(', ')}${guess ? ` (did you mean "${guess}"?)` : ''}`;
}
