import type { Task } from './sprint.js';

export const PRIORITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const TASK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Fields every task type takes, in the original format's spelling. */
export const COMMON_TASK_FIELDS = [
  'id',
  'type',
  'title',
  'description',
  'priority',
  'depends-on',
  'verify',
  'command',
  'estimate',
  'labels',
  'blocked-by',
  /** `true`: once this task is done, the run pauses (as `sprint pause` does) until `resume`. */
  'pause-after',
] as const;

/** Required fields of the four original task types. */
export const TASK_TYPE_FIELDS: Readonly<
  Record<string, { required: readonly string[]; optional: readonly string[]; idPrefix: string }>
> = {
  'implement-issue': {
    required: ['issue-number'],
    optional: ['repo', 'branch', 'pr-template'],
    idPrefix: 'implement-issue-',
  },
  refactor: {
    required: ['target-path', 'goal'],
    optional: ['constraints', 'test-command'],
    idPrefix: 'refactor-',
  },
  'update-docs': {
    required: ['doc-path', 'changes'],
    optional: ['source-files', 'validate'],
    idPrefix: 'update-docs-',
  },
  custom: {
    required: ['description', 'done-when'],
    optional: ['context-files', 'output-path'],
    idPrefix: 'custom-',
  },
};

/** A short line that names the task for people. */
export function taskLabel(task: Task): string {
  const f = task.fields;
  const candidate =
    task.title ??
    task.description ??
    (typeof f.goal === 'string' ? f.goal : undefined) ??
    (typeof f.changes === 'string' ? f.changes : undefined) ??
    (f['issue-number'] !== undefined ? `Issue #${String(f['issue-number'])}` : undefined) ??
    task.command ??
    task.id;
  const nl = candidate.indexOf('\n');
  const line = nl < 0 ? candidate : candidate.slice(0, nl);
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

export function slugify(text: string, max = 48, fallback = 'task'): string {
  const slug = text
    // Accents go, letters stay: "Café été" -> "cafe-ete".
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug.slice(0, max).replace(/-+$/, '') || fallback;
}

/** `YYYY-MM-DD` in the machine's local time zone: the date people see on their calendar. */
function localDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The folder name of a new sprint: `YYYY-MM-DD_<name>` (local date), as the original plugin made them. */
export function sprintFolderName(name: string, now: Date): string {
  let hash = 0;
  for (const ch of name) hash = (Math.imul(hash, 31) + (ch.codePointAt(0) ?? 0)) >>> 0;
  // A name with no Latin letters or digits still gets a distinct, stable folder name.
  return `${localDay(now)}_${slugify(name, 48, `sprint-${hash.toString(16).padStart(8, '0')}`)}`;
}
