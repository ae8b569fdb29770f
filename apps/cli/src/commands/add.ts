import { PRIORITIES, TASK_TYPE_FIELDS, taskFromFields } from '@sprint/core';
import type { CommandContext } from '../cli.js';
import { EXIT } from '../exit-codes.js';
import { displayPath, openSprintArg } from '../sprint-arg.js';
import { UsageError } from '../usage-error.js';

/** Fields that take a list: `--depends-on a,b` or the flag repeated. */
const LIST_FIELDS = new Set(['depends-on', 'labels', 'blocked-by']);

/** Fields the original format writes as numbers. */
const NUMBER_FIELDS = new Set(['issue-number']);

/** Fields every task type takes. */
export const COMMON_FIELDS = [
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
] as const;

/** Flags of `sprint add` itself: never task fields, never followed by a value. */
const OUTPUT_FLAGS = new Set(['json']);

/**
 * Splits `[<sprint>] <type> --name value ...` into positionals and fields.
 * A flag without a value is `true`; a repeated flag collects its values.
 * `--json` is the output flag, not a field.
 */
export function parseFieldArgs(tokens: string[]): {
  positionals: string[];
  fields: Record<string, unknown>;
  json: boolean;
} {
  const positionals: string[] = [];
  const fields: Record<string, unknown> = {};
  let json = false;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (!token.startsWith('--') || token === '--') {
      positionals.push(token);
      continue;
    }
    if (OUTPUT_FLAGS.has(token.slice(2))) {
      json = true;
      continue;
    }
    let name = token.slice(2);
    let value: unknown;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    } else if (i + 1 < tokens.length && !tokens[i + 1]!.startsWith('--')) {
      value = tokens[++i];
    } else {
      value = true;
    }
    if (!name) throw new UsageError(`"${token}" is not a field name.`, 'add');
    if (OUTPUT_FLAGS.has(name)) {
      throw new UsageError(`--${name} takes no value (got "${token}").`, 'add');
    }
    if (NUMBER_FIELDS.has(name)) {
      fields[name] = positiveInteger(name, value);
    } else if (LIST_FIELDS.has(name) && typeof value === 'string') {
      const items = value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      fields[name] = [...((fields[name] as string[] | undefined) ?? []), ...items];
    } else if (name in fields) {
      const prev = fields[name];
      fields[name] = Array.isArray(prev) ? [...prev, value] : [prev, value];
    } else {
      fields[name] = value;
    }
  }
  return { positionals, fields, json };
}

function positiveInteger(name: string, value: unknown): number {
  const text = typeof value === 'string' ? value.trim() : '';
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(
      value === true
        ? `--${name} needs a value: a positive integer, like --${name} 42.`
        : `--${name} must be a positive integer, like --${name} 42 (got "${String(value)}").`,
      'add',
    );
  }
  return Number(text);
}

/** Edit distance (with transpositions), for did-you-mean. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
      }
    }
  }
  return d[a.length]![b.length]!;
}

/** The known name closest to `name`, when it is close enough to be a slip. */
export function closestName(name: string, known: readonly string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const k of known) {
    const d = distance(name, k);
    if (!best || d < best.d) best = { name: k, d };
  }
  return best && best.d <= Math.max(1, Math.floor(name.length * 0.4)) ? best.name : undefined;
}

/**
 * The original types take only the common fields and their own; a name
 * outside them is a slip (`--priorty`), never a silently stored field.
 * Your own types take any field.
 */
function checkFields(type: string, fields: Record<string, unknown>): void {
  const spec = TASK_TYPE_FIELDS[type];
  if (spec) {
    const known = [...COMMON_FIELDS, ...spec.required, ...spec.optional];
    const unknown = Object.keys(fields).filter((f) => !known.includes(f));
    if (unknown.length) {
      const lines = unknown.map((f) => {
        const guess = closestName(f, known);
        return `--${f}${guess ? ` (did you mean --${guess}?)` : ''}`;
      });
      throw new UsageError(
        [
          `Unknown field${unknown.length > 1 ? 's' : ''} for ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type} task: ${lines.join(', ')}.`,
          `${type} takes ${[...spec.required.map((f) => `--${f}`), ...spec.optional.map((f) => `[--${f}]`)].join(' ')}, and every type takes ${COMMON_FIELDS.filter(
            (f) => f !== 'type',
          )
            .map((f) => `--${f}`)
            .join(' ')}.`,
        ].join('\n'),
        'add',
      );
    }
  }
  const priority = fields.priority;
  if (priority !== undefined && !(PRIORITIES as readonly unknown[]).includes(priority)) {
    throw new UsageError(
      `--priority must be one of ${PRIORITIES.join(', ')} (got ${priority === true ? 'no value' : `"${String(priority)}"`}).`,
      'add',
    );
  }
}

/** `sprint add [<sprint>] <type> [--field value ...] [--json]`. */
export async function addCommand(
  ctx: CommandContext,
  _args: string[],
  tokens: string[],
): Promise<number> {
  const { io } = ctx;
  const { positionals, fields, json } = parseFieldArgs(tokens);
  if (positionals.length === 0) {
    throw new UsageError(
      'A task type is required (implement-issue, refactor, update-docs, custom, or your own).',
      'add',
    );
  }
  if (positionals.length > 2) {
    throw new UsageError(
      `Too many arguments: ${positionals.slice(2).join(' ')}. Give field values as --name value.`,
      'add',
    );
  }
  const [sprintArg, type] = positionals.length === 2 ? positionals : [undefined, positionals[0]!];
  // Check the task before touching the sprint: bad input changes nothing.
  checkFields(type!, fields);
  const task = taskFromFields(type!, fields);
  const opened = await openSprintArg(ctx, sprintArg, 'add');
  const { added, skipped } = await opened.store.addTasks(opened.sprintId, [task]);
  const shown = displayPath(io.cwd, opened.path);
  if (json) {
    io.stdout.write(
      `${JSON.stringify({ sprint: opened.path, sprintId: opened.sprintId, added, skipped, task }, null, 2)}\n`,
    );
  }
  if (skipped.length) {
    io.stderr.write(
      `Task ${task.id} is already in ${shown}: nothing added. Give another id with --id.\n`,
    );
    return EXIT.invalidData;
  }
  if (!json) {
    io.stdout.write(`Added ${added.join(', ')} (${task.type}, ${task.priority}) to ${shown}\n`);
  }
  return EXIT.ok;
}
