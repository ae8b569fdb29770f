import { isMap, isScalar, parseDocument, stringify } from 'yaml';
import { InvalidOptionsError, InvalidSprintError } from '../../model/errors.js';
import { scanSteps } from './document-steps.js';
import {
  bodyLines,
  detectEol,
  findSections,
  locateFrontMatter,
  splitLines,
} from './markdown-lines.js';
import { DEFERRED_TITLE, deferredItemsOf } from './sprint-document.js';

/*
 * Every patch here changes only the bytes it must: the rest of the document
 * (the Overview table, the acceptance criteria, comments, line endings) is a
 * person's, and stays byte for byte as they wrote it.
 */

/**
 * Ticks the steps with these ids: `- [ ]` becomes `- [x]`, one byte per step.
 * Steps already ticked stay as they are; ids of no step are ignored (the
 * step's text may have been edited since the id was read).
 *
 * @throws InvalidSprintError when the step ids are ambiguous or malformed.
 */
export function tickSteps(text: string, stepIds: string[]): string {
  const wanted = new Set(stepIds);
  if (wanted.size === 0) return text;
  const scan = scanSteps(splitLines(text));
  if (scan.issues.length > 0) throw new InvalidSprintError(scan.issues);
  const offsets = scan.steps
    .filter((step) => wanted.has(step.id) && !step.checked)
    .map((step) => step.boxOffset);
  let out = text;
  for (const offset of offsets) out = `${out.slice(0, offset)}x${out.slice(offset + 1)}`;
  return out;
}

export interface FrontMatterValues {
  status?: string;
  started?: string | null;
  completed?: string | null;
  hours?: number | null;
}

const KEY_ORDER = ['status', 'started', 'completed', 'hours'] as const;

/**
 * Sets front matter keys by editing their `key: value` lines in place, so key
 * order, quoting style, comments and line endings stay as they were. A key
 * that is missing is added just before the closing `---`. Times are written
 * as given (ISO strings), null as `null`, hours rounded to 2 decimals.
 * Keys left `undefined` are not touched.
 *
 * @example
 * setFrontMatter(text, { status: 'in_progress', started: new Date().toISOString() });
 *
 * @throws InvalidSprintError when the document has no valid front matter.
 */
export function setFrontMatter(text: string, values: FrontMatterValues): string {
  const lines = splitLines(text);
  const place = locateFrontMatter(lines);
  if (typeof place !== 'object') {
    throw new InvalidSprintError([
      {
        line: 1,
        field: 'front matter',
        message: 'the document has no front matter to update',
        fix: 'start the file with a "---" line, the front matter, and a closing "---" line',
      },
    ]);
  }
  const yaml = parseDocument(place.source);
  const firstError = yaml.errors[0];
  if (firstError || (yaml.contents !== null && !isMap(yaml.contents))) {
    const at = firstError?.linePos?.[0].line;
    throw new InvalidSprintError([
      {
        line: at === undefined ? 2 : at + 1,
        field: 'front matter',
        message: 'the front matter is not a valid set of "key: value" lines',
        fix: 'correct the YAML between the two "---" lines',
      },
    ]);
  }

  const edits: Array<{ from: number; to: number; value: string }> = [];
  const missing: string[] = [];
  const source = place.source;
  for (const key of KEY_ORDER) {
    const value = values[key];
    if (value === undefined) continue;
    const pair = isMap(yaml.contents)
      ? yaml.contents.items.find((item) => isScalar(item.key) && item.key.value === key)
      : undefined;
    const node = pair?.value;
    if (!pair || !isScalar(node) || !node.range) {
      if (pair) {
        throw new InvalidSprintError([
          {
            line: lineOfOffset(source, isScalar(pair.key) ? (pair.key.range?.[0] ?? 0) : 0) + 1,
            field: key,
            message: `front matter "${key}" is not a single value`,
            fix: `write "${key}: " and a single value on one line`,
          },
        ]);
      }
      missing.push(`${key}: ${formatValue(key, value, false)}`);
      continue;
    }
    let [from, to] = node.range;
    // A block scalar's range takes in its line break; the break stays.
    while (to > from && (source[to - 1] === '\n' || source[to - 1] === '\r')) to--;
    const quoted = node.type === 'QUOTE_DOUBLE';
    let written = formatValue(key, value, quoted);
    // `started:` with nothing after it: the value needs its space.
    if (from === to && !/\s/.test(source[from - 1] ?? ' ')) written = ` ${written}`;
    edits.push({ from, to, value: written });
  }

  let patched = source;
  for (const edit of edits.sort((a, b) => b.from - a.from)) {
    patched = patched.slice(0, edit.from) + edit.value + patched.slice(edit.to);
  }
  if (missing.length > 0) {
    // Every front matter line ends with a break (the closing line follows), so
    // new lines go at the end of `source`, just before the closing `---`.
    const eol = detectEol(text);
    patched += missing.map((line) => line + eol).join('');
  }
  return text.slice(0, place.sourceStart) + patched + text.slice(place.sourceStart + source.length);
}

function formatValue(key: string, value: string | number | null, quoted: boolean): string {
  if (value === null) return 'null';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new InvalidOptionsError(`front matter "${key}" must be a finite number, got ${value}`);
    }
    return String(Math.round(value * 100) / 100);
  }
  // A double-quoted JSON string is valid YAML on one line, whatever it holds.
  if (quoted || /[\r\n]/.test(value)) return JSON.stringify(value);
  // stringify quotes only what YAML would misread (a number-like string, a `: `).
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

function lineOfOffset(source: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < source.length; i++) if (source[i] === '\n') line++;
  return line;
}

/**
 * Appends `- item` lines at the end of the `## Deferred Items` section,
 * skipping items already listed there (and repeats among `items`). Without
 * such a section, one is added at the end of the file.
 *
 * @example
 * appendDeferredItems(text, ['Parallel step execution -> future optimization']);
 */
export function appendDeferredItems(text: string, items: string[]): string {
  const lines = splitLines(text);
  const body = bodyLines(lines);
  const present = new Set(deferredItemsOf(body).map(normalizeItem));
  const fresh: string[] = [];
  for (const item of items) {
    const line = item
      .replace(/\s*\r?\n\s*/g, ' ')
      .trim()
      .replace(/^[-*+][ \t]+/, '');
    if (line === '' || present.has(normalizeItem(line))) continue;
    present.add(normalizeItem(line));
    fresh.push(line);
  }
  if (fresh.length === 0) return text;
  const eol = detectEol(text);
  const block = fresh.map((item) => `- ${item}${eol}`).join('');

  const section = findSections(body, 2, DEFERRED_TITLE)[0];
  if (!section) {
    const last = lines[lines.length - 1];
    let prefix = '';
    if (last && last.eol === '') prefix += eol;
    if (last && last.text.trim() !== '') prefix += eol;
    return `${text}${prefix}## Deferred Items${eol}${eol}${block}`;
  }

  let lastContent = section.at;
  for (let at = section.at + 1; at < section.end; at++) {
    if (body[at]!.text.trim() !== '') lastContent = at;
  }
  const after = body[lastContent]!;
  const insertAt = after.start + after.text.length + after.eol.length;
  let insertion = block;
  if (after.eol === '') insertion = eol + insertion;
  if (lastContent === section.at) {
    // An empty section: a blank line after the heading, and one before what follows.
    insertion = (after.eol === '' ? eol : '') + eol + block;
    const next = body[section.at + 1];
    if (next && next.text.trim() !== '') insertion += eol;
  }
  return text.slice(0, insertAt) + insertion + text.slice(insertAt);
}

function normalizeItem(item: string): string {
  return item.trim().replace(/\s+/g, ' ').toLowerCase();
}
