import { InvalidSprintError, type Issue } from '../../model/errors.js';
import type { Task } from '../../model/sprint.js';
import {
  COMMON_TASK_FIELDS,
  PRIORITIES,
  type Priority,
  slugify,
  TASK_ID_PATTERN,
  TASK_TYPE_FIELDS,
} from '../../model/task-info.js';
import {
  describe,
  FieldCursor,
  isRecord,
  nearMiss,
  oneOf,
  readBoolean,
  readString,
  readStringList,
} from './field-cursor.js';
import type { LineLocator, YamlPath } from './yaml-source.js';

/** Where a value came from, for messages: the file, the field path, and the line when known. */
export interface SourceRef {
  file: string;
  field: string;
  line?: number;
  /** With `locate`: where the task sits in the file, so that each problem gets its own line. */
  path?: YamlPath;
  locate?: LineLocator;
}

/** Keys people write for `depends-on` that the original format never read. */
const DEPENDS_ON_SLIPS = new Set([
  'depends_on',
  'dependsOn',
  'dependson',
  'depends',
  'dependencies',
  'dependency',
  'depends-upon',
  'deps',
  'depend-on',
  'DependsOn',
]);

/**
 * The fields `sprint` itself reads from a task. A task may carry fields of its
 * own, but not one a letter or a separator away from these (`pause_after`,
 * `pause-afer`): that is a slip that would be ignored silently.
 */
const KNOWN_TASK_FIELDS: readonly string[] = [
  ...new Set([
    ...COMMON_TASK_FIELDS,
    ...Object.values(TASK_TYPE_FIELDS).flatMap((t) => [...t.required, ...t.optional]),
    'agent',
    'model',
  ]),
];

const KNOWN_FIELD_SET: ReadonlySet<string> = new Set(KNOWN_TASK_FIELDS);

/** Whether a field is written: the readers take null as absent too. */
const has = (value: unknown): boolean => value !== undefined && value !== null;

/** The model fields a task's YAML map carries, in the order they are written. */
const MODEL_KEYS = [
  'id',
  'type',
  'title',
  'description',
  'priority',
  'depends-on',
  'verify',
  'command',
] as const;

/** The result of reading one task, with what was filled in rather than written. */
export interface ReadTask {
  task: Task;
  /** The type was not written; it was taken from the id's prefix or defaulted to `custom`. */
  typeInferred: boolean;
  /** The id was not written; it was made from the type and the task's fields. */
  idGenerated: boolean;
}

function typeFromId(id: string): string | undefined {
  let best: string | undefined;
  for (const [type, spec] of Object.entries(TASK_TYPE_FIELDS)) {
    if (id.startsWith(spec.idPrefix) && (!best || spec.idPrefix.length > best.length)) best = type;
  }
  return best;
}

/** The original id conventions: `implement-issue-<n>`, `refactor-<name>`, `custom-<slug>`. */
function idFor(type: string, f: Record<string, unknown>): string {
  const text = (...keys: string[]) => {
    for (const k of keys) {
      const v = f[k];
      if (typeof v === 'string' || typeof v === 'number') return String(v);
    }
    return '';
  };
  const prefix = TASK_TYPE_FIELDS[type]?.idPrefix ?? `${slugify(type)}-`;
  switch (type) {
    case 'implement-issue':
      return prefix + slugify(text('issue-number'));
    case 'refactor':
      return prefix + slugify(text('goal', 'target-path'));
    case 'update-docs':
      return prefix + slugify(text('doc-path', 'changes'));
    default:
      return prefix + slugify(text('title', 'description', 'command'));
  }
}

/**
 * Reads one task map into the model, reporting every problem at `c`. `omit`
 * names keys that are not task fields in this place (PROGRESS.yaml's state
 * keys) and stay out of `fields`. Returns undefined when there is no usable task.
 */
export function readTask(
  raw: unknown,
  c: FieldCursor,
  omit: ReadonlySet<string> = new Set(),
): ReadTask | undefined {
  if (!isRecord(raw)) {
    c.issue(
      `expected a task (a map with id and type), found ${describe(raw)}`,
      'write the task as "id: ..." and "type: ..." lines below its "-"',
    );
    return undefined;
  }
  const before = c.issues.length;
  let fields: Record<string, unknown> = {};
  for (const key of Object.keys(raw)) {
    if (!omit.has(key)) fields[key] = raw[key];
    if (DEPENDS_ON_SLIPS.has(key)) {
      c.at(key).issue(
        `"${key}" is not a task field, so this dependency would be ignored`,
        'rename it to depends-on',
      );
    } else if (!omit.has(key) && !KNOWN_FIELD_SET.has(key)) {
      const near = nearMiss(key, KNOWN_TASK_FIELDS);
      if (near) {
        c.at(key).issue(
          `"${key}" is not a task field, so it would be ignored`,
          `did you mean ${near}? rename it to ${near}`,
        );
      }
    }
  }

  let id: string | undefined;
  const rawId = raw.id;
  if (typeof rawId === 'number' && Number.isInteger(rawId) && rawId >= 0) id = String(rawId);
  else if (typeof rawId === 'string') id = rawId;
  else if (rawId !== undefined && rawId !== null) id = readString(rawId, c.at('id'), 'fix-login');
  if (id !== undefined && !TASK_ID_PATTERN.test(id)) {
    c.at('id').issue(
      `task id "${id}" has characters an id cannot have`,
      `use letters, digits, ".", "_" and "-", starting with a letter or digit, for example ${slugify(id)}`,
    );
  }

  let type = typeof raw.type === 'string' ? raw.type : readString(raw.type, c.at('type'), 'custom');
  if (type === '') {
    c.at('type').issue(
      'task type is empty',
      `write one of: ${Object.keys(TASK_TYPE_FIELDS).join(', ')}`,
    );
    type = undefined;
  }
  if ((rawId === undefined || rawId === null) && (raw.type === undefined || raw.type === null)) {
    c.issue(
      'a task needs an id or a type; this one has neither',
      `add "id: <name>" and "type: <${Object.keys(TASK_TYPE_FIELDS).join('|')}>"`,
    );
    return undefined;
  }

  let priority: Priority = 'medium';
  if (raw.priority !== undefined && raw.priority !== null) {
    const p = raw.priority;
    if (typeof p === 'string' && (PRIORITIES as readonly string[]).includes(p))
      priority = p as Priority;
    else c.at('priority').issue(`unknown priority ${describe(p)}`, oneOf(String(p), PRIORITIES));
  }

  // Each field only when it is there (most are not): a cursor per field is costly at 10,000 tasks.
  const dependsOn = has(raw['depends-on'])
    ? (readStringList(raw['depends-on'], c.at('depends-on'), { single: true }) ?? [])
    : [];
  const title = has(raw.title) ? readString(raw.title, c.at('title')) : undefined;
  const description = has(raw.description)
    ? readString(raw.description, c.at('description'))
    : undefined;
  const verify = has(raw.verify)
    ? readString(raw.verify, c.at('verify'), '"pnpm test"')
    : undefined;
  const command = has(raw.command)
    ? readString(raw.command, c.at('command'), '"make lint"')
    : undefined;
  if (has(raw.labels)) readStringList(raw.labels, c.at('labels'), { single: true });
  if (has(raw['blocked-by']))
    readStringList(raw['blocked-by'], c.at('blocked-by'), { single: true });
  if (has(raw['pause-after'])) readBoolean(raw['pause-after'], c.at('pause-after'));
  const estimate = raw.estimate;
  if (
    estimate !== undefined &&
    estimate !== null &&
    typeof estimate !== 'string' &&
    typeof estimate !== 'number'
  ) {
    c.at('estimate').issue(
      `expected an estimate such as 2h or 3, found ${describe(estimate)}`,
      'write estimate as text or a number',
    );
  }
  if (c.issues.length > before) return undefined;

  const typeInferred = type === undefined;
  const finalType = type ?? (id !== undefined ? typeFromId(id) : undefined) ?? 'custom';
  const idGenerated = id === undefined;
  const finalId = id ?? idFor(finalType, fields);
  // What was filled in is written into `fields` too, so the task reads back the same.
  if (idGenerated || typeInferred) {
    const filled: Record<string, unknown> = { id: undefined, type: undefined, ...fields };
    filled.id = idGenerated ? finalId : fields.id;
    filled.type = typeInferred ? finalType : fields.type;
    fields = filled;
  }

  const task: Task = { id: finalId, type: finalType, priority, dependsOn, fields };
  if (title !== undefined) task.title = title;
  if (description !== undefined) task.description = description;
  if (verify !== undefined) task.verify = verify;
  if (command !== undefined) task.command = command;
  return { task, typeInferred, idGenerated };
}

/**
 * Reads one task as written in YAML (kebab-case keys, the original format's
 * fields) into the model. Every field stays in `task.fields` as written. A task
 * without an id gets one by the original conventions (`implement-issue-<n>`);
 * one without a type gets it from its id's prefix, else `custom`.
 *
 * @throws InvalidSprintError listing every problem, each naming `where`.
 * @example
 * taskFromYaml({ id: 'fix-login', type: 'custom', description: 'Fix it', 'done-when': 'tests pass' },
 *   { file: 'tasks.yaml', field: 'tasks[0]' });
 */
export function taskFromYaml(raw: unknown, where: SourceRef): Task {
  const issues: Issue[] = [];
  const c = new FieldCursor(
    where.file,
    where.path ?? (where.field ? [where.field] : []),
    issues,
    where.locate,
    where.line,
  );
  const read = readTask(raw, c);
  if (!read || issues.length) throw new InvalidSprintError(issues);
  return read.task;
}

/** What reading `value` back for model key `key` would give. */
function readBack(key: (typeof MODEL_KEYS)[number], value: unknown): unknown {
  switch (key) {
    case 'id':
      return typeof value === 'number' ? String(value) : value;
    case 'priority':
      return value ?? 'medium';
    case 'depends-on':
      if (value === undefined || value === null) return [];
      return Array.isArray(value) ? value.map(String) : [String(value)];
    default:
      return value ?? undefined;
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}

/**
 * The task as a YAML map. Fields read from a file are written as they were
 * (`depends-on: a` stays a string) unless the model now says otherwise; a task
 * made in code (empty `fields`) gets id, type, title, description, priority,
 * depends-on, verify and command filled in.
 */
export function taskToYaml(task: Task): Record<string, unknown> {
  const f = task.fields;
  const made = Object.keys(f).length === 0;
  const model: Record<(typeof MODEL_KEYS)[number], unknown> = {
    id: task.id,
    type: task.type,
    title: task.title,
    description: task.description,
    priority: task.priority,
    'depends-on': task.dependsOn,
    verify: task.verify,
    command: task.command,
  };
  const isModelKey = (k: string): k is (typeof MODEL_KEYS)[number] =>
    (MODEL_KEYS as readonly string[]).includes(k);
  /** A model value that needs writing when the fields do not have it. */
  const worthWriting = (k: (typeof MODEL_KEYS)[number]): boolean => {
    const v = model[k];
    if (v === undefined) return false;
    if (made) return k !== 'depends-on' || task.dependsOn.length > 0;
    if (k === 'priority') return v !== 'medium';
    if (k === 'depends-on') return task.dependsOn.length > 0;
    return true;
  };

  const out: Record<string, unknown> = {};
  for (const k of ['id', 'type'] as const) if (!(k in f)) out[k] = model[k];
  for (const [k, v] of Object.entries(f)) {
    if (!isModelKey(k)) out[k] = v;
    else if (sameValue(readBack(k, v), model[k])) out[k] = v;
    else if (model[k] !== undefined)
      out[k] = Array.isArray(model[k]) ? [...(model[k] as string[])] : model[k];
  }
  for (const k of MODEL_KEYS) {
    if (!(k in f) && !(k in out) && worthWriting(k)) {
      out[k] = Array.isArray(model[k]) ? [...(model[k] as string[])] : model[k];
    }
  }
  return out;
}
