import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Task } from './sprint.js';
import { findCycles } from './validate.js';

/** findCycles as it was: every task in the graph. The new one leaves out those that depend on nothing. */
function everyTaskCycles(tasks: readonly Task[]): string[][] {
  const deps = new Map(tasks.map((t) => [t.id, t.dependsOn.filter((d) => d !== t.id)]));
  const state = new Map<string, 1 | 2>();
  const cycles: string[][] = [];
  const stack: string[] = [];
  const visit = (id: string): void => {
    state.set(id, 1);
    stack.push(id);
    for (const dep of deps.get(id) ?? []) {
      if (!deps.has(dep)) continue;
      const s = state.get(dep);
      if (s === 1) cycles.push(stack.slice(stack.indexOf(dep)));
      else if (s === undefined) visit(dep);
    }
    stack.pop();
    state.set(id, 2);
  };
  for (const t of tasks) if (!state.has(t.id)) visit(t.id);
  return cycles;
}

const task = (id: string, dependsOn: string[]): Task => ({
  id,
  type: 'custom',
  priority: 'medium',
  dependsOn,
  fields: {},
});

describe('findCycles', () => {
  it('finds the cycles it always found, in the same order (duplicate ids, self and missing deps too)', () => {
    const id = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'missing');
    const tasks = fc.array(
      fc.tuple(id, fc.array(id, { maxLength: 3 })).map(([i, deps]) => task(i, deps)),
      { maxLength: 10 },
    );
    fc.assert(
      fc.property(tasks, (list) => {
        expect(findCycles(list)).toEqual(everyTaskCycles(list));
      }),
      { numRuns: 5000 },
    );
  });

  it('names each cycle once from where the search met it', () => {
    expect(
      findCycles([task('a', ['b']), task('b', ['c']), task('c', ['a']), task('d', [])]),
    ).toEqual([['a', 'b', 'c']]);
  });
});
