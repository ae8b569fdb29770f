import { taskFromFields } from '@sprint/core';
import type { CommandContext } from '../cli.js';
import { EXIT } from '../exit-codes.js';
import { displayPath, openSprintArg } from '../sprint-arg.js';
import { UsageError } from '../usage-error.js';

/** Fields that take a list: `--depends-on a,b` or the flag repeated. */
const LIST_FIELDS = new Set(['depends-on', 'labels', 'blocked-by']);

/** Fields the original format writes as numbers. */
const NUMBER_FIELDS = new Set(['issue-number']);

/**
 * Splits `[<sprint>] <type> --name value ...` into positionals and fields.
 * A flag without a value is `true`; a repeated flag collects its values.
 */
export function parseFieldArgs(tokens: string[]): {
  positionals: string[];
  fields: Record<string, unknown>;
} {
  const positionals: string[] = [];
  const fields: Record<string, unknown> = {};
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (!token.startsWith('--') || token === '--') {
      positionals.push(token);
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
    if (NUMBER_FIELDS.has(name) && typeof value === 'string' && /^\d+$/.test(value)) {
      fields[name] = Number(value);
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
  return { positionals, fields };
}

/** `sprint add [<sprint>] <type> [--field value ...]`. */
export async function addCommand(
  ctx: CommandContext,
  _args: string[],
  tokens: string[],
): Promise<number> {
  const { io } = ctx;
  const { positionals, fields } = parseFieldArgs(tokens);
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
  const task = taskFromFields(type!, fields);
  const opened = await openSprintArg(ctx, sprintArg, 'add');
  const { added, skipped } = await opened.store.addTasks(opened.sprintId, [task]);
  const shown = displayPath(io.cwd, opened.path);
  if (skipped.length) {
    io.stderr.write(
      `Task ${task.id} is already in ${shown}: nothing added. Give another id with --id.\n`,
    );
    return EXIT.invalidData;
  }
  io.stdout.write(`Added ${added.join(', ')} (${task.type}, ${task.priority}) to ${shown}\n`);
  return EXIT.ok;
}
