import {
  AGENT_NAMES,
  InvalidSprintError,
  PRIORITIES,
  type Task,
  taskFromFields,
} from '@sprint/core';
import type { CommandContext } from '../cli.js';
import { EXIT } from '../exit-codes.js';
import { displayPath, openSprintArg } from '../sprint-arg.js';
import { UsageError } from '../usage-error.js';

/** Fields that take a list: `--depends-on a,b` or the flag repeated. */
const LIST_FIELDS = new Set(['depends-on', 'labels', 'blocked-by']);

/** Fields the original format writes as numbers. */
const NUMBER_FIELDS = new Set(['issue-number']);

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

/** The task, or a usage error (exit 64) that names each slip as the flag it was typed as. */
function taskFromFlags(type: string, fields: Record<string, unknown>): Task {
  const priority = fields.priority;
  if (priority !== undefined && !(PRIORITIES as readonly unknown[]).includes(priority)) {
    throw new UsageError(
      `--priority must be one of ${PRIORITIES.join(', ')} (got ${priority === true ? 'no value' : `"${String(priority)}"`}).`,
      'add',
    );
  }
  for (const name of ['agent', 'model']) {
    if (fields[name] === true || Array.isArray(fields[name])) {
      throw new UsageError(
        `--${name} takes one value, like --${name} ${name === 'agent' ? 'codex' : 'gpt-5-mini'}.`,
        'add',
      );
    }
  }
  const agent = fields.agent;
  if (agent !== undefined && !(AGENT_NAMES as readonly unknown[]).includes(agent)) {
    throw new InvalidSprintError([
      {
        file: 'the command line',
        field: '--agent',
        message: `unknown agent "${String(agent)}"`,
        fix: `give --agent one of: ${AGENT_NAMES.join(', ')}`,
      },
    ]);
  }
  try {
    return taskFromFields(type, fields);
  } catch (error) {
    const unknown =
      error instanceof InvalidSprintError
        ? error.issues.filter((i) => i.message.startsWith('unknown field'))
        : [];
    if (!unknown.length) throw error;
    const flags = unknown.map(
      (i) => `--${i.field}${i.suggestion ? ` (did you mean --${i.suggestion}?)` : ''}`,
    );
    throw new UsageError(
      `Unknown field${flags.length > 1 ? 's' : ''} for ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type} task: ${flags.join(', ')}.\n${unknown[0]?.fix ?? ''}.`,
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
  const task = taskFromFlags(type!, fields);
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
