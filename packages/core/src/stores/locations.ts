import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { SprintNotFoundError } from '../model/errors.js';

/**
 * A sprint id is one path segment inside the store's root (a folder or file
 * name, spaces and all): never a path separator, NUL, `.` or `..`. Anything
 * else is not found, so an id can never reach outside the root.
 */
export function assertSafeId(sprintId: string, root: string): void {
  if (
    !sprintId ||
    sprintId.length > 255 ||
    sprintId === '.' ||
    sprintId === '..' ||
    /[/\\\0]/.test(sprintId)
  ) {
    throw new SprintNotFoundError(sprintId, root);
  }
}

/**
 * Where agents work for a sprint at `sprintDir`: `project-dir` from its
 * configuration (relative to the sprint), else the folder that holds
 * `.claude/` (for `.claude/sprints/...`), else the nearest git work tree,
 * else the sprint's own folder.
 */
export function resolveProjectDir(sprintDir: string, configured?: string): string {
  if (configured) return isAbsolute(configured) ? configured : resolve(sprintDir, configured);
  const abs = resolve(sprintDir);
  const marker = `${sep}.claude${sep}`;
  const at = `${abs}${sep}`.lastIndexOf(marker);
  if (at >= 0) return abs.slice(0, at) || sep;
  for (let dir = abs; ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) break;
  }
  return abs;
}
