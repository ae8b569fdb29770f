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
/**
 * A JSON string, where `lastIndex` says: the only double-quoted text
 * `toBlockYaml` writes (`\u` escapes and all). It cannot run past a line's end.
 */
const QUOTED =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are refused, not matched
  /"(?:[^"\\\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/y;

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
  const reader = new Reader(text, lines);
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

const NEWLINE = 10;
const SPACE = 32;
const QUOTE = 34;
const HASH = 35;
const COLON = 58;

/** A JSON string starting at `at` in `text`, or undefined. */
function quotedAt(text: string, at: number): string | undefined {
  QUOTED.lastIndex = at;
  return QUOTED.exec(text)?.[0];
}

/**
 * Reads the text line by line where it lies, without splitting it (10,000 tasks
 * are 20,000 lines): positions are offsets into the text.
 */
class Reader {
  /** Where the next line starts, and its number from 1. */
  #pos = 0;
  #no = 1;
  /** Where the document ends: before the comment lines that close the file (PROGRESS.yaml's overview line). */
  #end: number;
  /** Keys already found plain: a file repeats a few keys many times. */
  readonly #plainKeys = new Set<string>();

  constructor(
    readonly text: string,
    readonly record: BlockYamlLines | undefined,
  ) {
    // A `#` in the first column after the last value is a comment to YAML: it ends any block.
    let end = text.length;
    while (end > 0 && text.charCodeAt(end - 1) === NEWLINE) {
      const start = text.lastIndexOf('\n', end - 2) + 1;
      if (text.charCodeAt(start) !== HASH) break;
      end = start;
    }
    this.#end = end;
  }

  document(): Record<string, unknown> {
    const { text } = this;
    while (
      !this.#done() &&
      (text.charCodeAt(this.#pos) === NEWLINE || text.charCodeAt(this.#pos) === HASH)
    )
      this.#next();
    if (this.#done()) notMine();
    const map = this.map(0, 0);
    if (!this.#done()) notMine();
    return map;
  }

  /** A block map whose keys sit at `indent`; `first` is where its first entry starts after a `- `. */
  map(indent: number, depth: number, first?: number): Record<string, unknown> {
    if (depth > MAX_DEPTH) notMine();
    const { text } = this;
    const out: Record<string, unknown> = {};
    const keyLines = this.record && new Map<string, number>();
    if (keyLines) this.record!.set(out, keyLines);
    let start = first ?? this.#entry(indent);
    while (start !== undefined) {
      const eol = text.indexOf('\n', start);
      const line = this.#no;
      let key: string;
      let colon: number;
      if (text.charCodeAt(start) === QUOTE) {
        const quoted = quotedAt(text, start) ?? notMine();
        key = JSON.parse(quoted) as string;
        colon = start + quoted.length;
        if (text.charCodeAt(colon) !== COLON) notMine();
      } else {
        colon = text.indexOf(': ', start);
        if (colon < 0 || colon > eol) {
          if (eol === start || text.charCodeAt(eol - 1) !== COLON) notMine();
          colon = eol - 1;
        }
        key = text.slice(start, colon);
        if (!this.#plainKeys.has(key)) {
          if (!isPlain(key)) notMine();
          this.#plainKeys.add(key);
        }
      }
      if (colon - start > MAX_KEY || Object.hasOwn(out, key)) notMine();
      this.#next();
      const value = this.#value(colon + 1, eol, indent, depth);
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
      start = this.#entry(indent);
    }
    return out;
  }

  /** A list whose `- ` items sit at `indent`. */
  seq(indent: number, depth: number): unknown[] {
    if (depth > MAX_DEPTH) notMine();
    const { text } = this;
    const out: unknown[] = [];
    const itemLines: number[] | undefined = this.record && [];
    if (itemLines) this.record!.set(out, itemLines);
    let start = this.#item(indent);
    while (start !== undefined) {
      const eol = text.indexOf('\n', start);
      const line = this.#no;
      if (start === eol) {
        // `-` alone: a list inside the list, starting on the next line.
        this.#next();
        itemLines?.push(line + 1);
        if (!this.#nested(indent + 2)) notMine();
        out.push(this.seq(indent + 2, depth + 1));
      } else {
        itemLines?.push(line);
        if (text.charCodeAt(start) === QUOTE) {
          const quoted = quotedAt(text, start) ?? notMine();
          if (start + quoted.length === eol) {
            this.#next();
            out.push(JSON.parse(quoted));
          } else out.push(this.map(indent + 2, depth + 1, start));
        } else {
          const colon = text.indexOf(': ', start);
          if ((colon >= 0 && colon < eol) || text.charCodeAt(eol - 1) === COLON) {
            out.push(this.map(indent + 2, depth + 1, start));
          } else {
            this.#next();
            out.push(this.#value(start - 1, eol, indent, depth));
          }
        }
      }
      start = this.#item(indent);
    }
    return out;
  }

  /**
   * The value from `from` (a key's `:` or a `- `, then a space) to the line's end `eol`; the
   * line is taken. `indent` is the collection's own, so nested lines sit two spaces deeper.
   */
  #value(from: number, eol: number, indent: number, depth: number): unknown {
    const { text } = this;
    if (from === eol) {
      return this.#nested(indent + 2)
        ? this.seq(indent + 2, depth + 1)
        : this.map(indent + 2, depth + 1);
    }
    if (text.charCodeAt(from) !== SPACE) notMine();
    const value = text.slice(from + 1, eol);
    switch (value) {
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
        return this.#literal(value, indent + 2);
    }
    if (value.charCodeAt(0) === QUOTE) {
      if (quotedAt(value, 0)?.length !== value.length) notMine();
      return JSON.parse(value);
    }
    if (NUMBER.test(value)) return Number(value);
    if (!isPlain(value)) notMine();
    return value;
  }

  /** The lines of a `|` block, indented `indent` spaces, after its head. */
  #literal(head: string, indent: number): string {
    const { text } = this;
    const start = this.#pos;
    let first = -1;
    let end = -1;
    let trailing = 0;
    while (!this.#done()) {
      const pos = this.#pos;
      if (text.charCodeAt(pos) === NEWLINE) {
        trailing++;
        this.#next();
        continue;
      }
      const n = this.#indent(pos);
      const eol = text.indexOf('\n', pos);
      // Spaces alone, up to the indent, make an empty line to `yaml`: the writer writes none.
      if (pos + n === eol && n <= indent) notMine();
      if (n < indent) break;
      // The first line sets the block's indent: one that starts deeper (or is only spaces)
      // would set another.
      if (n > indent && first < 0) notMine();
      if (first < 0) first = pos;
      trailing = 0;
      end = eol;
      this.#next();
    }
    if (first < 0) notMine();
    // Every line but the empty ones starts with the indent: dropped all at once.
    const body = `\n${text.slice(start, end)}`.replaceAll(`\n${' '.repeat(indent)}`, '\n').slice(1);
    if (head === '|-') return body;
    if (head === '|') return `${body}\n`;
    return `${body}\n${'\n'.repeat(trailing)}`;
  }

  /** Where the next line's entry starts when it is a map entry at `indent`, else undefined. */
  #entry(indent: number): number | undefined {
    if (this.#done()) return undefined;
    const pos = this.#pos;
    const n = this.#indent(pos);
    if (n < indent && this.text.charCodeAt(pos) !== NEWLINE) return undefined;
    if (n !== indent || this.#isItem(pos + n)) notMine();
    return pos + n;
  }

  /**
   * Where the next line's item starts after its `- ` (its line's end for a bare `-`) when it
   * is an item at `indent`, else undefined.
   */
  #item(indent: number): number | undefined {
    if (this.#done()) return undefined;
    const pos = this.#pos;
    const n = this.#indent(pos);
    if (n < indent && this.text.charCodeAt(pos) !== NEWLINE) return undefined;
    const dash = pos + n;
    if (n !== indent || !this.#isItem(dash)) notMine();
    if (this.text.charCodeAt(dash + 1) === NEWLINE) return dash + 1;
    if (this.text.charCodeAt(dash + 2) === NEWLINE) notMine(); // `- ` and nothing
    return dash + 2;
  }

  /** Whether the next line starts a list (else a map) at `indent`, where a nested value must be. */
  #nested(indent: number): boolean {
    if (this.#done()) notMine();
    const pos = this.#pos;
    const n = this.#indent(pos);
    if (n !== indent || this.text.charCodeAt(pos + n) === NEWLINE) notMine();
    return this.#isItem(pos + n);
  }

  /** Whether a list item (`- ...` or a bare `-`) starts at `at`. */
  #isItem(at: number): boolean {
    const next = this.text.charCodeAt(at + 1);
    return this.text.charCodeAt(at) === 45 && (next === NEWLINE || next === SPACE);
  }

  /** The spaces at `pos`. */
  #indent(pos: number): number {
    let n = pos;
    while (this.text.charCodeAt(n) === SPACE) n++;
    return n - pos;
  }

  #done(): boolean {
    return this.#pos >= this.#end;
  }

  #next(): void {
    this.#pos = this.text.indexOf('\n', this.#pos) + 1;
    this.#no++;
  }
}
