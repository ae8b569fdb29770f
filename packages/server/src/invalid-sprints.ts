import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { SprintStore } from '@sprint/core';

/**
 * The sprints under `root` that the store does not list because they fail
 * to load (`<id>/SPRINT.yaml`, `<id>.md`, `<id>/<id>.md`), each with the
 * store's own error message (which names the file, line and field).
 */
export async function findInvalidSprints(
  root: string,
  listed: ReadonlySet<string>,
  store: Pick<SprintStore, 'load'>,
): Promise<{ id: string; reason: string }[]> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const candidates: string[] = [];
  for (const e of entries) {
    const id = e.isDirectory()
      ? e.name
      : e.isFile() && e.name.endsWith('.md')
        ? e.name.slice(0, -3)
        : undefined;
    if (id === undefined || listed.has(id) || candidates.includes(id)) continue;
    const dir = join(root, e.name);
    if (
      e.isFile() ||
      existsSync(join(dir, 'SPRINT.yaml')) ||
      existsSync(join(dir, `${e.name}.md`))
    ) {
      candidates.push(id);
    }
  }
  const out: { id: string; reason: string }[] = [];
  for (const id of candidates.sort()) {
    try {
      await store.load(id);
    } catch (error) {
      out.push({ id, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return out;
}
