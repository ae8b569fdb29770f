import {
  Composer,
  type CST,
  type Document,
  type LineCounter,
  Parser,
  visit,
  YAMLParseError,
} from 'yaml';

/** Double-quoted scalars at least this long are decoded here instead of by `yaml`. */
const LONG = 64 * 1024;

/**
 * `yaml`'s `parseDocument`, except that long double-quoted values are decoded
 * in one pass. `yaml` builds such a value one character at a time, which costs
 * about 30x the text's size in memory (a 10 MB description written on one
 * quoted line took over 300 MB); this keeps it near the size of the text.
 * Errors carry `linePos` as with `prettyErrors`. A value this decoder is not
 * sure of (a bad escape, a tag, a key) is left to `yaml`, so the result and
 * the errors are always `yaml`'s own.
 */
export function parseYamlDocument(text: string, lineCounter: LineCounter): Document.Parsed {
  const decoded = new Map<number, string>();
  const composer = new Composer();
  const tokens = new Parser(lineCounter.addNewLine).parse(text);
  let doc: Document.Parsed | undefined;
  for (const next of composer.compose(shortened(tokens, decoded), true, text.length)) {
    if (!doc) doc = next;
    else {
      doc.errors.push(
        new YAMLParseError(
          [next.range[0], next.range[1]],
          'MULTIPLE_DOCS',
          'Source contains multiple documents; please use YAML.parseAllDocuments()',
        ),
      );
      break;
    }
  }
  const parsed = doc as Document.Parsed;
  if (decoded.size) {
    visit(parsed, {
      Scalar(_key, node) {
        const value = node.range ? decoded.get(node.range[0]) : undefined;
        if (value !== undefined && node.value === '') node.value = value;
      },
    });
  }
  for (const error of [...parsed.errors, ...parsed.warnings]) {
    error.linePos = error.pos.map((pos) => lineCounter.linePos(pos)) as typeof error.linePos;
  }
  return parsed;
}

function* shortened(
  tokens: Generator<CST.Token>,
  decoded: Map<number, string>,
): Generator<CST.Token> {
  for (const token of tokens) {
    shortenValues(token, decoded);
    yield token;
  }
}

/** Replaces each long double-quoted value under `node` by `""`, keeping its text in `decoded`. */
function shortenValues(node: unknown, decoded: Map<number, string>): void {
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const item of node) shortenValues(item, decoded);
    return;
  }
  const t = node as {
    value?: unknown;
    key?: unknown;
    items?: unknown;
    start?: unknown;
    sep?: unknown;
  };
  const value = t.value as CST.FlowScalar | undefined;
  if (
    value?.type === 'double-quoted-scalar' &&
    value.source.length >= LONG &&
    !hasTag(t.start) &&
    !hasTag(t.sep)
  ) {
    const text = decodeDoubleQuoted(value.source);
    if (text !== undefined) {
      decoded.set(value.offset, text);
      value.source = '""';
    }
  } else shortenValues(t.value, decoded);
  shortenValues(t.key, decoded);
  shortenValues(t.items, decoded);
}

function hasTag(props: unknown): boolean {
  return Array.isArray(props) && props.some((p) => (p as CST.SourceToken).type === 'tag');
}

const ESCAPES = new Map<string, string>([
  ['0', '\0'],
  ['a', '\x07'],
  ['b', '\b'],
  ['e', '\x1b'],
  ['f', '\f'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
  ['v', '\v'],
  ['N', '\u0085'],
  ['_', '\u00a0'],
  ['L', '\u2028'],
  ['P', '\u2029'],
  [' ', ' '],
  ['"', '"'],
  ['/', '/'],
  ['\\', '\\'],
  ['\t', '\t'],
]);

const isBlank = (ch: string | undefined) => ch === ' ' || ch === '\t';

/**
 * The value of a double-quoted YAML scalar (`source` with its quotes), by the
 * same rules as `yaml` (escapes, line folding, trimming), but taking the text
 * between escapes and line breaks in slices; `undefined` where `yaml` would
 * report an error.
 */
export function decodeDoubleQuoted(source: string): string | undefined {
  const last = source.length - 1;
  if (last < 1 || source[0] !== '"' || source[last] !== '"') return undefined;
  const parts: string[] = [];
  let run = 1;
  const flush = (end: number) => {
    if (end > run) parts.push(source.slice(run, end));
  };
  for (let i = 1; i < last; ++i) {
    const ch = source[i];
    if (ch === '\r' && source[i + 1] === '\n') {
      flush(i);
      run = i + 1;
    } else if (ch === '\n') {
      // One line break folds into a space; n breaks in a row into n - 1 newlines.
      flush(i);
      let fold = '';
      let next = source[i + 1];
      while (isBlank(next) || next === '\n' || next === '\r') {
        if (next === '\r' && source[i + 2] !== '\n') break;
        if (next === '\n') fold += '\n';
        next = source[++i + 1];
      }
      parts.push(fold || ' ');
      run = i + 1;
    } else if (ch === '\\') {
      flush(i);
      const next = source[++i] as string;
      if (i >= last) return undefined;
      const escaped = ESCAPES.get(next);
      if (escaped !== undefined) parts.push(escaped);
      else if (next === '\n' || (next === '\r' && source[i + 1] === '\n')) {
        // An escaped line break joins the lines, without the next line's indentation.
        if (next === '\r') i++;
        while (isBlank(source[i + 1])) i++;
      } else if (next === 'x' || next === 'u' || next === 'U') {
        const length = next === 'x' ? 2 : next === 'u' ? 4 : 8;
        const hex = source.slice(i + 1, i + 1 + length);
        if (hex.length !== length || !/^[0-9a-fA-F]+$/.test(hex)) return undefined;
        const code = Number.parseInt(hex, 16);
        if (code > 0x10ffff) return undefined;
        parts.push(String.fromCodePoint(code));
        i += length;
      } else return undefined;
      run = i + 1;
    } else if (isBlank(ch)) {
      // Blanks before a line break are trimmed; others stay in the run.
      const start = i;
      while (isBlank(source[i + 1])) i++;
      const next = source[i + 1];
      if (next === '\n' || (next === '\r' && source[i + 2] === '\n')) {
        flush(start);
        run = i + 1;
      }
    }
  }
  flush(last);
  return parts.join('');
}
