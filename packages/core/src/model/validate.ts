import type { Issue } from './errors.js';
import type { Task } from './sprint.js';
import { TASK_TYPE_FIELDS } from './task-info.js';

/** A problem with one task, located by its index in the sprint's task list. */
export interface TaskIssue extends Issue {
  index: number;
  taskId: string;
}

/**
 * The checks every store runs on a sprint's tasks before anything runs:
 * duplicate ids, dependencies on missing tasks, dependency cycles, and the
 * required fields of the four original task types. Returns every problem at
 * once; an empty list means the tasks are runnable. Field rules apply to
 * tasks that will run, not to history: `finished` ids (done, blocked... as the
 * original plugin wrote them, often without a description) are exempt.
 */
export function validateTasks(
  tasks: readonly Task[],
  options: { finished?: ReadonlySet<string> } = {},
): TaskIssue[] {
  const issues: TaskIssue[] = [];
  const firstIndex = new Map<string, number>();
  tasks.forEach((task, index) => {
    const seen = firstIndex.get(task.id);
    if (seen !== undefined) {
      issues.push({
        index,
        taskId: task.id,
        field: 'id',
        message: `duplicate task id "${task.id}" (first used by task ${seen + 1})`,
        fix: 'give each task its own id',
      });
    } else firstIndex.set(task.id, index);
  });
  // Types repeat (10,000 tasks may have one): each is compared with the built-in ones once.
  const nearType = new Map<string, string | undefined>();
  tasks.forEach((task, index) => {
    for (const dep of task.dependsOn) {
      if (dep === task.id) {
        issues.push({
          index,
          taskId: task.id,
          field: 'depends-on',
          message: `task "${task.id}" depends on itself`,
          fix: 'remove it from its own depends-on',
        });
      } else if (!firstIndex.has(dep)) {
        issues.push({
          index,
          taskId: task.id,
          field: 'depends-on',
          message: `task "${task.id}" depends on "${dep}", which is not a task of this sprint`,
          fix: `add a task "${dep}" or remove it from depends-on`,
        });
      }
    }
    const spec = Object.hasOwn(TASK_TYPE_FIELDS, task.type)
      ? TASK_TYPE_FIELDS[task.type]
      : undefined;
    let near: string | undefined;
    if (!spec) {
      if (!nearType.has(task.type)) nearType.set(task.type, nearBuiltinType(task.type));
      near = nearType.get(task.type);
    }
    if (near && !options.finished?.has(task.id)) {
      issues.push({
        index,
        taskId: task.id,
        field: 'type',
        message: `task "${task.id}" has type "${task.type}", one letter off the built-in type "${near}"`,
        fix: `did you mean "${near}"? (a type of your own needs a name further from the built-in ones)`,
        suggestion: near,
      });
    }
    if (spec && !options.finished?.has(task.id)) {
      for (const field of spec.required) {
        const v = task.fields[field];
        if (v === undefined || v === null || v === '') {
          issues.push({
            index,
            taskId: task.id,
            field,
            message: `task "${task.id}" of type ${task.type} has no "${field}"`,
            fix: `add "${field}" (required for ${task.type}: ${spec.required.join(', ')})`,
          });
        }
      }
    }
  });
  for (const cycle of findCycles(tasks)) {
    const first = cycle[0]!;
    issues.push({
      index: firstIndex.get(first) ?? 0,
      taskId: first,
      field: 'depends-on',
      message: `dependency cycle: ${[...cycle, first].join(' -> ')}`,
      fix: 'remove one of these depends-on entries',
    });
  }
  return issues;
}

/** The built-in task type `type` is one edit away from (a slip, not a type of its own), if any. */
function nearBuiltinType(type: string): string | undefined {
  return Object.keys(TASK_TYPE_FIELDS).find(
    (known) => known !== type && withinOneEdit(type, known),
  );
}

/** Levenshtein distance <= 1, or two neighbours swapped. */
export function withinOneEdit(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true;
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
  }
  return a.length > b.length ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}

/** The ids of tasks that will not run again: the history `validateTasks` exempts from field rules. */
export function finishedTaskIds(state: {
  tasks: Readonly<Record<string, { status: string }>>;
}): Set<string> {
  const out = new Set<string>();
  for (const [id, t] of Object.entries(state.tasks)) {
    if (
      t.status === 'done' ||
      t.status === 'blocked' ||
      t.status === 'skipped' ||
      t.status === 'cancelled'
    )
      out.add(id);
  }
  return out;
}

/** Each dependency cycle once, as the list of task ids on it. */
export function findCycles(tasks: readonly Task[]): string[][] {
  // Only a task that depends on another can be on a cycle: the others are left out (at
  // 10,000 tasks most depend on nothing), which finds the same cycles in the same order.
  const deps = new Map<string, readonly string[]>();
  for (const t of tasks) {
    // The last task of an id says its dependencies, as before (a duplicate id is reported).
    if (t.dependsOn.length || deps.has(t.id)) deps.set(t.id, t.dependsOn);
  }
  const state = new Map<string, 1 | 2>();
  const cycles: string[][] = [];
  const stack: string[] = [];
  const visit = (id: string): void => {
    state.set(id, 1);
    stack.push(id);
    for (const dep of deps.get(id) ?? []) {
      if (dep === id || !deps.has(dep)) continue;
      const s = state.get(dep);
      if (s === 1) cycles.push(stack.slice(stack.indexOf(dep)));
      else if (s === undefined) visit(dep);
    }
    stack.pop();
    state.set(id, 2);
  };
  for (const t of tasks) if (deps.has(t.id) && !state.has(t.id)) visit(t.id);
  return cycles;
}
