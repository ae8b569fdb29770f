import { isPlain } from './block-yaml.js';
import type { LineLocator } from './yaml-source.js';

/** Where each key and item of a value read by `readBlockYaml` starts: its 1-based line. */
type BlockYamlLines = WeakMap<object, Map<string, number> | number[]>;

/** The reader's answer to text it did not write: the caller reads it with `yaml`. */
class NotMine extends Error {}

/** Deeper than this is left to `yaml`, which says where a file nests too deep. */
const MAX_DEPTH = 100;
/** `yaml` refuses an implicit key longer than 1024 characters: such a key is left to it. */
const MAX_KEY = 1000;
const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:e[-+][0-9]+)?$/;
/** A JSON string: the only double-quoted text `toBlockYaml` writes (`\u` escapes and all). */
const QUOTED =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are refused, not matched
  /^"(?:[^"\\\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/;

/**
 * Reads YAML as `toBlockYaml` writes it (block maps and lists in two-space
 * steps, `[]` and `{}`, plain, JSON-quoted and `|` text, `null`, `true`,
 * `false`, numbers, and a comment header), many times faster than the `yaml`
 * library. Anything else (a comment further down, flow style, anchors, tags,
 * other indents, tabs, a blank line, a duplicate key) gives `undefined`: the
 * file is then not the writer's, and `yaml` reads it, with its errors and
 * lines. Where it answers, it answers what `yaml.parse` does.
 *
 * With `lines`, the line of each key and list item is recorded there.
 */
export function readBlockYaml(
  text: string,
  lines?: BlockYamlLines,
): Record<string, unknown> | undefined {
  if (!text.endsWith('\n') || text.includes('\r')) return undefined;
  const reader = new Reader(text.split('\n'), lines);
  try {
    return reader.document();
  } catch (error) {
    if (error instanceof NotMine) return undefined;
    throw error;
  }
}

/**
 * Lines for a text `readBlockYaml` reads: the same as the `yaml` locator in
 * `readYamlSource` gives, found by reading the text again, with lines, when
 * one is asked for (a problem to report, a place to remember).
 */
export function blockYamlLocator(text: string): LineLocator {
  let read: { value: unknown; lines: BlockYamlLines } | undefined;
  return (path) => {
    if (!read) {
      const lines: BlockYamlLines = new WeakMap();
      read = { value: readBlockYaml(text, lines), lines };
    }
    let node = read.value;
    // The document starts at its first key.
    let line = (read.lines.get(node as object) as Map<string, number>).values().next().value;
    for (const segment of path) {
      const at = typeof node === 'object' && node !== null ? read.lines.get(node) : undefined;
      const found = Array.isArray(at)
        ? typeof segment === 'number'
          ? at[segment]
          : undefined
        : at?.get(String(segment));
      if (found === undefined) break;
      line = found;
      node = (node as Record<string | number, unknown>)[segment];
    }
    return line;
  };
}

const notMine = (): never => {
  throw new NotMine();
};

function indentOf(line: string): number {
  let n = 0;
  while (line.charCodeAt(n) === 32) n++;
  return n;
}

class Reader {
  #at = 0;
  readonly #end: number;

  constructor(
    readonly lines: string[],
    readonly record: BlockYamlLines | undefined,
  ) {
    // The text ends with a line break: the last "line" is the empty rest after it.
    this.#end = lines.length - 1;
  }

  document(): Record<string, unknown> {
    while (
      this.#at < this.#end &&
      (this.lines[this.#at] === '' || this.lines[this.#at]![0] === '#')
    )
      this.#at++;
    if (this.#at === this.#end) notMine();
    const map = this.map(0, 0);
    if (this.#at !== this.#end) notMine();
    return map;
  }

  /** A block map whose keys sit at `indent`; `first` is its first entry when it follows a `- `. */
  map(indent: number, depth: number, first?: string): Record<string, unknown> {
    if (depth > MAX_DEPTH) notMine();
    const out: Record<string, unknown> = {};
    const keyLines = this.record && new Map<string, number>();
    if (keyLines) this.record!.set(out, keyLines);
    let entry = first;
    if (entry === undefined) entry = this.#line(indent);
    while (entry !== undefined) {
      const line = ++this.#at; // 1-based: the line just taken
      let key: string;
      let colon: number;
      if (entry[0] === '"') {
        const quoted = QUOTED.exec(entry)?.[0] ?? notMine();
        key = JSON.parse(quoted) as string;
        colon = quoted.length;
        if (entry[colon] !== ':') notMine();
      } else {
        colon = entry.indexOf(': ');
        if (colon < 0) {
          if (!entry.endsWith(':')) notMine();
          colon = entry.length - 1;
        }
        key = entry.slice(0, colon);
        if (!isPlain(key)) notMine();
      }
      if (colon > MAX_KEY || Object.hasOwn(out, key)) notMine();
      const value = this.value(entry.slice(colon + 1), indent, depth);
      // As `yaml` does: a `__proto__` key is a key, not the object's prototype.
      if (key === '__proto__')
        Object.defineProperty(out, key, {
          value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else out[key] = value;
      keyLines?.set(key, line);
      entry = this.#line(indent);
    }
    return out;
  }

  /** A list whose `- ` items sit at `indent`. */
  seq(indent: number, depth: number): unknown[] {
    if (depth > MAX_DEPTH) notMine();
    const out: unknown[] = [];
    const itemLines: number[] | undefined = this.record && [];
    if (itemLines) this.record!.set(out, itemLines);
    let item = this.#item(indent);
    while (item !== undefined) {
      const line = this.#at + 1;
      if (item === '') {
        // `-` alone: a list inside the list, starting on the next line.
        this.#at++;
        itemLines?.push(line + 1);
        if (!this.#nested(indent + 2)) notMine();
        out.push(this.seq(indent + 2, depth + 1));
      } else {
        itemLines?.push(line);
        if (item[0] === '"') {
          const quoted = QUOTED.exec(item)?.[0] ?? notMine();
          if (quoted.length === item.length) {
            this.#at++;
            out.push(JSON.parse(quoted));
          } else out.push(this.map(indent + 2, depth + 1, item));
        } else if (item.includes(': ') || item.endsWith(':')) {
          out.push(this.map(indent + 2, depth + 1, item));
        } else {
          this.#at++;
          out.push(this.value(` ${item}`, indent, depth));
        }
      }
      item = this.#item(indent);
    }
    return out;
  }

  /**
   * The value after a key's `:` (`rest`, with its space) or a `- `; the line it is on is
   * taken. `indent` is the collection's own, so nested lines sit two spaces deeper.
   */
  value(rest: string, indent: number, depth: number): unknown {
    if (rest === '') {
      return this.#nested(indent + 2)
        ? this.seq(indent + 2, depth + 1)
        : this.map(indent + 2, depth + 1);
    }
    if (rest[0] !== ' ') notMine();
    const text = rest.slice(1);
    switch (text) {
      case '[]':
        return [];
      case '{}':
        return {};
      case 'null':
        return null;
      case 'true':
        return true;
      case 'false':
        return false;
      case '.inf':
        return Number.POSITIVE_INFINITY;
      case '-.inf':
        return Number.NEGATIVE_INFINITY;
      case '.nan':
        return Number.NaN;
      case '|':
      case '|-':
      case '|+':
        return this.#literal(text, indent + 2);
    }
    if (text[0] === '"') {
      const quoted = QUOTED.exec(text)?.[0];
      if (quoted?.length !== text.length) notMine();
      return JSON.parse(text);
    }
    if (NUMBER.test(text)) return Number(text);
    if (!isPlain(text)) notMine();
    return text;
  }

  /** The lines of a `|` block, indented `indent` spaces, after its head. */
  #literal(head: string, indent: number): string {
    const { lines } = this;
    const body: string[] = [];
    let trailing = 0;
    while (this.#at < this.#end) {
      const line = lines[this.#at]!;
      if (line === '') {
        trailing++;
      } else {
        const n = indentOf(line);
        // Spaces alone, up to the indent, make an empty line to `yaml`: the writer writes none.
        if (n === line.length && n <= indent) notMine();
        if (n < indent) break;
        // The first line sets the block's indent: one that starts deeper (or is only spaces) would
        // set another.
        if (n > indent && body.length === 0) notMine();
        for (; trailing > 0; trailing--) body.push('');
        body.push(line.slice(indent));
      }
      this.#at++;
    }
    if (body.length === 0) notMine();
    const text = body.join('\n');
    if (head === '|-') return text;
    if (head === '|') return `${text}\n`;
    return `${text}\n${'\n'.repeat(trailing)}`;
  }

  /** The next line's text after `indent` spaces when it is a map entry there, else undefined. */
  #line(indent: number): string | undefined {
    if (this.#at >= this.#end) return undefined;
    const line = this.lines[this.#at]!;
    const n = indentOf(line);
    if (n < indent && line !== '') return undefined;
    if (n !== indent || isItem(line, n)) notMine();
    return line.slice(indent);
  }

  /** The next line's item text after `- ` (`''` for a bare `-`) when it is an item at `indent`. */
  #item(indent: number): string | undefined {
    if (this.#at >= this.#end) return undefined;
    const line = this.lines[this.#at]!;
    const n = indentOf(line);
    if (n < indent && line !== '') return undefined;
    if (n !== indent || !isItem(line, n) || line.length === n + 2) notMine();
    return line.slice(n + 2);
  }

  /** Whether the next line starts a list (else a map) at `indent`, where a nested value must be. */
  #nested(indent: number): boolean {
    const line = this.#at < this.#end ? this.lines[this.#at]! : '';
    const n = indentOf(line);
    if (n !== indent || n === line.length) notMine();
    return isItem(line, n);
  }
}

/** Whether `line` holds a list item (`- ...` or a bare `-`) at `indent`. */
function isItem(line: string, indent: number): boolean {
  return line[indent] === '-' && (line.length === indent + 1 || line[indent + 1] === ' ');
}
