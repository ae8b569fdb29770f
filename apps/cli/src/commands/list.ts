import { resolve } from 'node:path';
import { escapeControls, SprintRootStore } from '@sprint/core';
import type { CommandContext } from '../cli.js';
import { databaseUrlOf, openDatabaseStore } from '../database.js';
import { EXIT } from '../exit-codes.js';
import { colorEnabled } from '../io.js';
import { m42SprintAt } from '../m42-hint.js';
import { createStyle, statusColor } from '../output/style.js';
import { displayPath } from '../sprint-arg.js';

/** `sprint list`: the sprints under a directory, newest first. */
export async function listCommand(
  ctx: CommandContext,
  options: { dir: string; json?: boolean },
): Promise<number> {
  const { io } = ctx;
  const root = resolve(io.cwd, options.dir);
  const url = databaseUrlOf(ctx);
  const sprints = url
    ? await (await openDatabaseStore(ctx, url)).list()
    : await new SprintRootStore({ root }).list();
  sprints.sort((a, b) => (b.created ?? b.id).localeCompare(a.created ?? a.id));
  if (options.json) {
    io.stdout.write(`${JSON.stringify(sprints, null, 2)}\n`);
    return EXIT.ok;
  }
  if (sprints.length === 0) {
    io.stdout.write(
      `No sprints ${url ? 'in the database' : `under ${displayPath(io.cwd, root)}`}. Start one: sprint init <name>\n`,
    );
    return EXIT.ok;
  }
  const style = createStyle(colorEnabled(io.stdout, io.env));
  /** Why a sprint cannot be read, in one line; for an m42 sprint, the command that imports it. */
  const reason = (s: (typeof sprints)[number]) => {
    const m42 = s.invalid && s.location ? m42SprintAt(s.location, io.cwd) : undefined;
    if (m42) return `an m42 sprint, to import: sprint import --from-m42 ${m42.arg}`;
    return `${s.name}: ${s.invalid?.split('\n').join(' ')}`;
  };
  // Names, ids and the errors that quote a sprint's files are shown with their control characters visible.
  const rows = sprints.map((s) =>
    [
      s.id,
      s.invalid ? 'invalid' : s.status,
      `${s.counts.done}/${s.counts.total}`,
      s.created?.slice(0, 16).replace('T', ' ') ?? '',
      s.invalid ? reason(s) : s.name,
    ].map((cell) => escapeControls(cell)),
  );
  const header = ['SPRINT', 'STATUS', 'DONE', 'CREATED', 'NAME'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[], color = false) =>
    cells
      .map((c, i) => {
        const padded = c.padEnd(widths[i]!);
        if (!color || i !== 1) return padded;
        return c === 'invalid'
          ? padded.replace(c, style.red(c))
          : padded.replace(c, statusColor(style, c));
      })
      .join('  ')
      .trimEnd();
  io.stdout.write(`${style.bold(line(header))}\n${rows.map((r) => line(r, true)).join('\n')}\n`);
  return EXIT.ok;
}
