import { isMap, isScalar, isSeq, LineCounter, type Node } from 'yaml';
import { copyPlain } from '../../model/copy-plain.js';
import type { Issue } from '../../model/errors.js';
import { blockYamlLocator, readBlockYaml } from './block-yaml-reader.js';
import { parseYamlDocument } from './yaml-document.js';

/** A path into a YAML document: map keys and sequence indexes. */
export type YamlPath = readonly (string | number)[];

/** The 1-based line of the deepest node on `path` that exists. */
export type LineLocator = (path: YamlPath) => number | undefined;

/** A parsed YAML file: its plain value, how to find lines in it, and syntax problems. */
export interface YamlSource {
  file: string;
  /** The document as plain data; `undefined` when it could not be parsed. */
  value: unknown;
  /** True when the file holds nothing but whitespace and comments. */
  empty: boolean;
  locate: LineLocator;
  issues: Issue[];
}

const MAX_DEPTH = 200;

/**
 * The first line where the text nests deeper than MAX_DEPTH (flow brackets
 * outside quotes, or block indentation), or undefined.
 */
function tooDeepLine(text: string): number | undefined {
  let depth = 0;
  let line = 1;
  let quote: string | undefined;
  let lineStart = true;
  let indent = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\n') {
      line++;
      lineStart = true;
      indent = 0;
      if (quote === "'" || quote === '"') continue;
      continue;
    }
    if (lineStart) {
      if (ch === ' ' || ch === '-') {
        indent++;
        if (indent > MAX_DEPTH * 2) return line;
        continue;
      }
      lineStart = false;
    }
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"') i++;
      continue;
    }
    if (ch === '#') {
      const nl = text.indexOf('\n', i);
      if (nl < 0) break;
      i = nl - 1;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '[' || ch === '{') {
      if (++depth > MAX_DEPTH) return line;
    } else if (ch === ']' || ch === '}') depth = Math.max(0, depth - 1);
  }
  return undefined;
}

/**
 * Parses YAML text with line tracking. Syntax errors (including duplicate
 * keys) become issues with their line; the value is then `undefined` so that
 * no half-read data is used.
 */
export function readYamlSource(text: string, file: string): YamlSource {
  // The files `sprint` wrote itself are read by its own reader, many times faster (as fast as
  // copying a kept value); a file it did not write as it is (a hand edit, a comment, flow
  // style) goes to `yaml`.
  const fast = readBlockYaml(text);
  if (fast !== undefined) {
    return { file, value: fast, empty: false, locate: blockYamlLocator(text), issues: [] };
  }
  // One command reads the same file several times (resolve, validate, open, each
  // checkpoint): parse each text once. A parse costs many times the text's size.
  const cached = parsed.get(file);
  if (cached?.text === text) {
    const { source } = cached;
    return { ...source, value: copyPlain(source.value), issues: [...source.issues] };
  }
  const source = parseYamlSource(text, file);
  parsed.delete(file);
  parsed.set(file, { text, source });
  for (const key of parsed.keys()) {
    if (parsed.size <= PARSED_KEPT) break;
    parsed.delete(key);
  }
  return { ...source, value: copyPlain(source.value), issues: [...source.issues] };
}

/**
 * Drops the parse kept for `file`: called when the file is replaced, so that
 * its old text and value (a long description twice over) are not held for the
 * rest of a run.
 */
export function forgetYamlSource(file: string): void {
  parsed.delete(file);
}

/** The last text parsed per file, for the few files a command reads again and again. */
const parsed = new Map<string, { text: string; source: YamlSource }>();
const PARSED_KEPT = 8;

function parseYamlSource(text: string, file: string): YamlSource {
  // The parser recurses per level: refuse absurd nesting before it overflows the stack.
  const deep = tooDeepLine(text);
  if (deep !== undefined) {
    return {
      file,
      value: undefined,
      empty: false,
      locate: () => undefined,
      issues: [
        {
          file,
          line: deep,
          message: `YAML nested more than ${MAX_DEPTH} levels deep`,
          fix: 'flatten the structure; a sprint file needs only a few levels',
        },
      ],
    };
  }
  const lineCounter = new LineCounter();
  let doc: ReturnType<typeof parseYamlDocument>;
  try {
    doc = parseYamlDocument(text, lineCounter);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return {
      file,
      value: undefined,
      empty: false,
      locate: () => undefined,
      issues: [{ file, line: 1, message: 'YAML too deeply nested to read', fix: 'flatten it' }],
    };
  }
  const issues: Issue[] = doc.errors.map((error) => ({
    file,
    line: error.linePos?.[0].line,
    message: `YAML syntax error: ${error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`,
    fix: 'correct the YAML at that line (check indentation, quotes and brackets)',
  }));
  const locate: LineLocator = (path) => {
    let node: unknown = doc.contents;
    let offset = (node as Node | null)?.range?.[0];
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isScalar(p.key) && String(p.key.value) === String(segment),
        );
        if (!pair) break;
        offset = (pair.key as Node).range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment] as Node | undefined;
        if (!item) break;
        offset = item.range?.[0] ?? offset;
        node = item;
      } else break;
    }
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
  const empty = doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null);
  let value: unknown;
  if (!issues.length) {
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      // Only aliases fail here: a "billion laughs" file, or an alias to a missing anchor.
      issues.push({
        file,
        message: `YAML could not be read: ${(error as Error).message}`,
        fix: 'write the values out instead of using anchors (&) and aliases (*)',
      });
    }
  }
  return {
    file,
    value,
    empty: issues.length === 0 && empty,
    locate,
    issues,
  };
}
