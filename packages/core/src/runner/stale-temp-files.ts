import { readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isProcessAlive } from '../process/process-group.js';

/** An atomic write's temporary copy: `<file>.tmp-<writer pid>-<hex>`. */
const TEMP = /^(.*)\.tmp-(\d+)-[0-9a-f]+$/;

/**
 * Removes the temporary copies of these files that a writer killed mid-write
 * left behind (its PID is gone), so they never reach `git status`, a commit
 * or a listing. Copies of a live writer stay. Returns the paths removed.
 */
export async function removeStaleTempFiles(
  files: readonly string[],
  alive: (pid: number) => boolean = isProcessAlive,
): Promise<string[]> {
  const byDir = new Map<string, Set<string>>();
  for (const f of files) {
    const dir = dirname(f);
    const names = byDir.get(dir) ?? new Set<string>();
    names.add(basename(f));
    byDir.set(dir, names);
  }
  const removed: string[] = [];
  for (const [dir, names] of byDir) {
    const entries = await readdir(dir).catch(() => [] as string[]);
    for (const entry of entries) {
      const m = TEMP.exec(entry);
      if (!m || !names.has(m[1]!) || alive(Number(m[2]))) continue;
      const path = join(dir, entry);
      if (
        await unlink(path).then(
          () => true,
          () => false,
        )
      )
        removed.push(path);
    }
  }
  return removed;
}
