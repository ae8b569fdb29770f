/** One line of the dependency list: a task, how deep it sits, and its other prerequisites. */
export interface DependencyRow {
  id: string;
  depth: number;
  /** Prerequisites besides the one it is listed under. */
  alsoAfter: string[];
}

/**
 * Dependencies as an indented list: tasks nobody they depend on exists for
 * first, each task listed once, under its first listed prerequisite, deeper
 * by one. Iterative (a 1,000-task chain is 1,000 levels deep: no recursion,
 * no nested elements); a cycle's tasks come last at depth 0. Pure.
 */
export function dependencyRows(deps: ReadonlyMap<string, readonly string[]>): DependencyRow[] {
  const dependents = new Map<string, string[]>();
  for (const [id, on] of deps) {
    const first = on.find((d) => deps.has(d));
    if (first !== undefined) dependents.set(first, [...(dependents.get(first) ?? []), id]);
  }
  const rows: DependencyRow[] = [];
  const placed = new Set<string>();
  const place = (root: string) => {
    const stack: { id: string; depth: number; parent?: string }[] = [{ id: root, depth: 0 }];
    while (stack.length) {
      const { id, depth, parent } = stack.pop()!;
      if (placed.has(id)) continue;
      placed.add(id);
      rows.push({ id, depth, alsoAfter: (deps.get(id) ?? []).filter((d) => d !== parent) });
      const children = dependents.get(id) ?? [];
      for (let i = children.length - 1; i >= 0; i--) {
        stack.push({ id: children[i]!, depth: depth + 1, parent: id });
      }
    }
  };
  for (const [id, on] of deps) if (!on.some((d) => deps.has(d))) place(id);
  for (const id of deps.keys()) if (!placed.has(id)) place(id);
  return rows;
}
