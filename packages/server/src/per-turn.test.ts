import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { PerTurn } from './per-turn.js';

describe('PerTurn', () => {
  it('computes once per key within a turn, afresh in the next turn, and forgets a deleted key', async () => {
    const perTurn = new PerTurn<number>();
    let computed = 0;
    const read = (key: string) => perTurn.get(key, () => ++computed);
    expect([read('a'), read('a'), read('b'), read('a')]).toEqual([1, 1, 2, 1]);
    await nextTurn();
    expect(read('a')).toBe(3);
    perTurn.delete('a');
    expect(read('a')).toBe(4);
  });
});
