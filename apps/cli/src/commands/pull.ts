import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { plural, renderProgressYaml, renderSprintYaml } from '@sprint/core';
import type { CommandContext } from '../cli.js';
import { databaseUrlOf, openDatabaseStore } from '../database.js';
import { EXIT } from '../exit-codes.js';
import { displayPath } from '../sprint-arg.js';
import { UsageError } from '../usage-error.js';

/**
 * `sprint pull <id> [--dir D]`: writes a database sprint as a sprint
 * directory (SPRINT.yaml, PROGRESS.yaml the original plugin reads, context/,
 * artifacts/) under D. The directory appears whole or not at all: it is
 * written beside its place and renamed into it; an existing one is never touched.
 */
export async function pullCommand(
  ctx: CommandContext,
  sprintId: string,
  options: { dir: string },
): Promise<number> {
  const { io } = ctx;
  const url = databaseUrlOf(ctx);
  if (!url) {
    throw new UsageError(
      'pull needs a database: give --database-url postgres://... (or pglite:./dir), or set SPRINT_DATABASE_URL.',
      'pull',
    );
  }
  const root = resolve(io.cwd, options.dir);
  const target = join(root, sprintId);
  if (existsSync(target)) {
    throw new UsageError(
      `${displayPath(io.cwd, target)} already exists: pull into another --dir, or move it away first.`,
      'pull',
    );
  }
  const store = await openDatabaseStore(ctx, url);
  const { definition, state } = await store.load(sprintId);
  const context = await store.readAllContext(sprintId);
  // `where` records the lines of the file the sprint was read from: not a setting to write back.
  const { where: _where, ...config } = definition.config;
  const sprintYaml = renderSprintYaml({
    sprintId,
    name: definition.name,
    created: definition.created ?? new Date().toISOString(),
    owner: definition.owner,
    goals: definition.goals,
    notes: definition.notes,
    config: config as Record<string, unknown>,
  });
  const progressYaml = renderProgressYaml(definition, state, { sprintId, logSeq: 0, logOffset: 0 });
  const staging = join(root, `.${sprintId}.pull-${process.pid}`);
  await mkdir(join(staging, 'context'), { recursive: true });
  try {
    await mkdir(join(staging, 'artifacts'));
    await writeFile(join(staging, 'SPRINT.yaml'), sprintYaml);
    await writeFile(join(staging, 'PROGRESS.yaml'), progressYaml);
    if (context.shared !== undefined) {
      await writeFile(join(staging, 'context', '_shared.md'), context.shared);
    }
    for (const [taskId, text] of Object.entries(context.tasks ?? {})) {
      await writeFile(join(staging, 'context', `${taskId}.md`), text);
    }
    await rename(staging, target);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  io.stdout.write(
    `Pulled ${sprintId} into ${displayPath(io.cwd, target)}: ${plural(definition.tasks.length, 'task')}, status ${state.status}.\n`,
  );
  return EXIT.ok;
}
