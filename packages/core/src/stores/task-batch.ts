import type { Issue } from '../model/errors.js';
import type { Task } from '../model/sprint.js';

/** A batch of tasks to add that names one id twice: a slip in what was written. */
export function duplicateIdIssues(tasks: readonly Task[]): Issue[] {
  const firstAt = new Map<string, number>();
  const out: Issue[] = [];
  tasks.forEach((t, i) => {
    const first = firstAt.get(t.id);
    if (first === undefined) firstAt.set(t.id, i);
    else
      out.push({
        field: `tasks[${i}].id`,
        message: `task id "${t.id}" appears twice in the tasks to add (entries ${first + 1} and ${i + 1})`,
        fix: 'give each task its own id, or remove one of the two',
      });
  });
  return out;
}

/** The tasks of `batch` not yet in the sprint (first of each id), and the ids skipped. */
export function splitNewTasks(
  existing: readonly Task[],
  batch: readonly Task[],
): { fresh: Task[]; skipped: string[] } {
  const known = new Set(existing.map((t) => t.id));
  const seen = new Set<string>();
  const fresh: Task[] = [];
  const skipped: string[] = [];
  for (const t of batch) {
    if (known.has(t.id) || seen.has(t.id)) skipped.push(t.id);
    else {
      seen.add(t.id);
      fresh.push(t);
    }
  }
  return { fresh, skipped };
}
