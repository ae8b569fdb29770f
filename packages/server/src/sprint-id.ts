import { isAbsolute, relative, resolve } from 'node:path';
import { ApiError } from './problem.js';

/** What a sprint id may look like: a single path segment that cannot climb out of the root. */
const SPRINT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

/**
 * Checks that a sprint id names something inside `root`, before any store
 * touches the disk: not `..`, no separators, no absolute path, nothing that
 * resolves outside. Anything else is a 404, as if the sprint did not exist.
 */
export function checkSprintId(root: string, id: string): string {
  const notFound = () =>
    new ApiError(404, 'SPRINT_NOT_FOUND', `Sprint not found: ${printable(id)}`);
  if (!SPRINT_ID.test(id) || id.includes('..')) throw notFound();
  const base = resolve(root);
  const rel = relative(base, resolve(base, id));
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel !== id) throw notFound();
  return id;
}

function printable(id: string): string {
  const clean = id.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 80 ? `${clean.slice(0, 77)}...` : clean;
}
