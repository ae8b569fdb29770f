import { parseDocument } from 'yaml';
import { InvalidSprintError, type Issue } from '../../model/errors.js';
import type { Task } from '../../model/sprint.js';
import { DOCUMENT_STATUSES, suggestDocumentStatus } from './document-status.js';
import { type DocumentStep, scanSteps } from './document-steps.js';
import {
  type BodyLine,
  bodyLines,
  findSections,
  locateFrontMatter,
  type SourceLine,
  splitLines,
} from './markdown-lines.js';

/** What a Markdown sprint document says, as read by `parseSprintDocument`. */
export interface ParsedSprintDocument {
  /** The parsed YAML front matter. */
  frontMatter: Record<string, unknown>;
  /** Front matter `title`, else the first `# ` heading, else the file name. */
  title: string;
  /** The text of the `## Goal` section, trimmed; absent when empty. */
  goal?: string;
  /** Every checkbox under `### Phase N: <Name>` headings inside `## Tasks`, in order. */
  steps: DocumentStep[];
  /** Bullet items of `## Deferred Items`. */
  deferredItems: string[];
}

const FRONT_MATTER_FIX =
  'start the file with a "---" line, then the YAML front matter (sprint, title, status, ...), then a closing "---" line';

/**
 * Reads a Markdown sprint document (YAML front matter, then sections with
 * `### Phase N: <Name>` checkboxes under `## Tasks`). Pure: `file` only names
 * the document in error messages.
 *
 * @throws InvalidSprintError listing every problem at once, each with the
 * file, line and a fix: missing or malformed front matter, a `status` that is
 * not one of the format's, no steps, duplicate or malformed step ids, and
 * `depends-on` naming no step.
 *
 * @example
 * const doc = parseSprintDocument(await readFile(path, 'utf8'), path);
 * const pending = doc.steps.filter((s) => !s.checked);
 */
export function parseSprintDocument(text: string, file: string): ParsedSprintDocument {
  const lines = splitLines(text);
  const issues: Issue[] = [];
  const frontMatter = readFrontMatter(lines, file, issues);
  const body = bodyLines(lines);
  const scan = scanSteps(lines, file);
  issues.push(...scan.issues);
  if (scan.empty) issues.push(scan.empty);
  if (issues.length > 0) throw new InvalidSprintError(issues);

  const doc: ParsedSprintDocument = {
    frontMatter,
    title: titleOf(frontMatter, body, file),
    steps: scan.steps.map(({ boxOffset: _, ...step }) => step),
    deferredItems: deferredItemsOf(body),
  };
  const goal = goalOf(body);
  if (goal !== undefined) doc.goal = goal;
  return doc;
}

/**
 * The runner's tasks for a document: one per step, checked ones included
 * (the store marks those done). `fields` keeps where the step came from:
 * `phase`, `phase-name` and `text`, plus any extra metadata keys.
 */
export function documentTasks(doc: ParsedSprintDocument): Task[] {
  return doc.steps.map((step) => {
    const task: Task = {
      id: step.id,
      type: step.type,
      title: step.text,
      priority: 'medium',
      dependsOn: step.dependsOn ? [...step.dependsOn] : [],
      fields: {
        ...step.metadata,
        phase: step.phase,
        'phase-name': step.phaseName,
        text: step.text,
      },
    };
    if (step.verify !== undefined) task.verify = step.verify;
    return task;
  });
}

function readFrontMatter(
  lines: SourceLine[],
  file: string,
  issues: Issue[],
): Record<string, unknown> {
  const place = locateFrontMatter(lines);
  if (place === undefined) {
    const late = lines.findIndex((line) => line.text.trim() !== '');
    const blankFirst = late > 0 && lines[late]!.text.trim() === '---';
    issues.push({
      file,
      line: 1,
      field: 'front matter',
      message: 'the document does not start with YAML front matter',
      fix: blankFirst
        ? `remove the blank lines before the "---" on line ${late + 1}`
        : FRONT_MATTER_FIX,
    });
    return {};
  }
  if (place === 'unclosed') {
    issues.push({
      file,
      line: 1,
      field: 'front matter',
      message: 'the front matter opened on line 1 is never closed',
      fix: 'add a "---" line after the last front matter key',
    });
    return {};
  }
  // Front matter line n is line n + 1 of the file (the opening `---` is line 1).
  const yaml = parseDocument(place.source);
  const firstError = yaml.errors[0];
  if (firstError) {
    const at = firstError.linePos?.[0].line;
    issues.push({
      file,
      line: at === undefined ? 1 : at + 1,
      field: 'front matter',
      message: `the front matter is not valid YAML: ${firstError.message.split('\n')[0]}`,
      fix: 'correct the YAML between the two "---" lines (key: value, one per line)',
    });
    return {};
  }
  const value: unknown = yaml.toJS();
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    issues.push({
      file,
      line: 2,
      field: 'front matter',
      message: 'the front matter is not a set of "key: value" lines',
      fix: FRONT_MATTER_FIX,
    });
    return {};
  }
  const frontMatter = value as Record<string, unknown>;
  const status = frontMatter.status;
  // An absent or empty status is left to the store (not started); a wrong one is an error.
  if (status !== undefined && status !== null && !isDocumentStatus(status)) {
    const line = keyLine(lines, place.close, 'status');
    const suggestion = typeof status === 'string' ? suggestDocumentStatus(status) : undefined;
    issues.push({
      file,
      line,
      field: 'status',
      message: `front matter status "${String(status)}" is not one of ${DOCUMENT_STATUSES.join(', ')}`,
      fix: suggestion
        ? `write "status: ${suggestion}"`
        : `write "status: " and one of ${DOCUMENT_STATUSES.join(', ')}`,
    });
  }
  return frontMatter;
}

function isDocumentStatus(value: unknown): boolean {
  return typeof value === 'string' && (DOCUMENT_STATUSES as readonly string[]).includes(value);
}

/** The 1-based line of a top-level front matter key, or 1. */
function keyLine(lines: SourceLine[], close: number, key: string): number {
  for (let i = 1; i < close; i++) {
    if (new RegExp(`^${key}\\s*:`).test(lines[i]!.text)) return i + 1;
  }
  return 1;
}

function titleOf(frontMatter: Record<string, unknown>, body: BodyLine[], file: string): string {
  const title = frontMatter.title;
  if ((typeof title === 'string' && title.trim() !== '') || typeof title === 'number') {
    return String(title).trim();
  }
  const h1 = body.find((line) => line.heading?.level === 1 && line.heading.title !== '');
  if (h1?.heading) return h1.heading.title;
  const name = file.split(/[\\/]/).pop() ?? file;
  return name.replace(/\.[^.]*$/, '') || name;
}

function goalOf(body: BodyLine[]): string | undefined {
  const section = findSections(body, 2, /^goals?$/i)[0];
  if (!section) return undefined;
  const text = body
    .slice(section.at + 1, section.end)
    .map((line) => line.text)
    .join('\n')
    .trim();
  return text === '' ? undefined : text;
}

const BULLET = /^ {0,3}[-*+][ \t]+(?:\[[ xX]\][ \t]+)?(\S.*?)[ \t]*$/;

/** Top-level bullet items of the `## Deferred Items` section(s), as written. */
export function deferredItemsOf(body: BodyLine[]): string[] {
  const items: string[] = [];
  for (const section of findSections(body, 2, DEFERRED_TITLE)) {
    for (let at = section.at + 1; at < section.end; at++) {
      const line = body[at]!;
      if (line.fenced) continue;
      const match = BULLET.exec(line.text);
      if (match) items.push(match[1]!);
    }
  }
  return items;
}

export const DEFERRED_TITLE = /^deferred(?:\s+items)?$/i;
