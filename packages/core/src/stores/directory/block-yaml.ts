/**
 * A small, fast YAML writer for plain data (maps, lists, text, numbers,
 * booleans, null): block style, two-space indents, no anchors, no folding.
 * Text is written plain when that reads back as the same text, as a `|`
 * block when it spans lines, and double-quoted otherwise. It exists because
 * PROGRESS.yaml is rewritten often and a 1,000-task sprint made the general
 * `yaml` stringifier the slowest part of a checkpoint; `yaml` still reads it.
 */
export function toBlockYaml(value: Record<string, unknown>, header?: string): string {
  const out: string[] = [];
  if (header) {
    for (const line of header.split('\n')) out.push(line ? `# ${line}` : '#');
    out.push('');
  }
  writeMap(value, '', out);
  return `${out.join('\n')}\n`;
}

/** Characters that must be escaped in any YAML scalar. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff\ud800-\udfff]/u;
const NEEDS_ESCAPE_IN_JSON = /[\u007f-\u009f\u2028\u2029\ufeff]/g;
/** Plain text that the core schema (or a YAML 1.1 reader) would take for something else. */
const NOT_TEXT =
  /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|<<)$/;
const PLAIN_START = /^[A-Za-z0-9_./\u00a0-\uffff]/;

/** Text longer than this is written as a `|` block even on one line. */
const LONG_TEXT = 1000;

function quoted(text: string): string {
  return JSON.stringify(text).replace(
    NEEDS_ESCAPE_IN_JSON,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Text that passes every check below but the last: most keys and values, tested at once. */
const SIMPLE = /^[A-Za-z0-9_](?:[\w./ -]*[\w./-])?$/;

export function isPlain(text: string): boolean {
  if (SIMPLE.test(text)) return !NOT_TEXT.test(text);
  return (
    text.length > 0 &&
    PLAIN_START.test(text) &&
    !text.startsWith('...') &&
    !text.includes('\n') &&
    !text.includes('\t') &&
    !UNPRINTABLE.test(text) &&
    !text.includes(': ') &&
    !text.includes(' #') &&
    !text.endsWith(' ') &&
    !text.endsWith(':') &&
    !NOT_TEXT.test(text)
  );
}

/** Text as a map key. */
function keyText(key: string): string {
  return isPlain(key) ? key : quoted(key);
}

/** A `|` block for multi-line text, or undefined when one would not read back exactly. */
function literal(text: string, indent: string): string | undefined {
  if (UNPRINTABLE.test(text) || text.includes('\r')) return undefined;
  const lines = text.split('\n');
  let trailing = 0;
  while (trailing < lines.length && lines[lines.length - 1 - trailing] === '') trailing++;
  const content = lines.slice(0, lines.length - trailing);
  const first = content.find((l) => l !== '');
  // Indentation is detected from the first non-empty line: it must not start with a space.
  if (first === undefined || first.startsWith(' ') || first.startsWith('\t')) return undefined;
  const head = trailing === 0 ? '|-' : trailing === 1 ? '|' : '|+';
  const body = content.map((l) => (l === '' ? '' : indent + l));
  for (let i = 1; i < trailing; i++) body.push('');
  return `${head}\n${body.join('\n')}`;
}

function scalar(value: unknown, indent: string): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return '.nan';
    if (!Number.isFinite(value)) return value > 0 ? '.inf' : '-.inf';
    return String(value);
  }
  if (typeof value === 'bigint') return String(value);
  const text = String(value);
  if (isPlain(text)) return text;
  // Long text goes in a block too: YAML readers take many times longer, and far more
  // memory, over a long double-quoted scalar than over the same text as a block.
  if (text.includes('\n') || text.length > LONG_TEXT) {
    const block = literal(text, indent);
    if (block !== undefined) return block;
  }
  return quoted(text);
}

function isMapValue(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function definedEntries(map: Record<string, unknown>): [string, unknown][] {
  return Object.entries(map).filter(([, v]) => v !== undefined);
}

function writeMap(
  map: Record<string, unknown>,
  indent: string,
  out: string[],
  firstPrefix?: string,
): void {
  let first = true;
  for (const [k, v] of definedEntries(map)) {
    const pad = first && firstPrefix !== undefined ? firstPrefix : indent;
    first = false;
    const key = keyText(k);
    if (Array.isArray(v)) {
      if (v.length === 0) out.push(`${pad}${key}: []`);
      else {
        out.push(`${pad}${key}:`);
        writeSeq(v, `${indent}  `, out);
      }
    } else if (isMapValue(v)) {
      if (definedEntries(v).length === 0) out.push(`${pad}${key}: {}`);
      else {
        out.push(`${pad}${key}:`);
        writeMap(v, `${indent}  `, out);
      }
    } else out.push(`${pad}${key}: ${scalar(v, `${indent}  `)}`);
  }
}

function writeSeq(items: unknown[], indent: string, out: string[]): void {
  for (const item of items) {
    if (Array.isArray(item)) {
      if (item.length === 0) out.push(`${indent}- []`);
      else {
        out.push(`${indent}-`);
        writeSeq(item, `${indent}  `, out);
      }
    } else if (isMapValue(item)) {
      if (definedEntries(item).length === 0) out.push(`${indent}- {}`);
      else writeMap(item, `${indent}  `, out, `${indent}- `);
    } else out.push(`${indent}- ${scalar(item ?? null, `${indent}  `)}`);
  }
}
