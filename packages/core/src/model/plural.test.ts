import { describe, expect, it } from 'vitest';
import { plural } from './plural.js';

describe('plural', () => {
  it.each([
    [0, 'tasks'],
    [1, 'task'],
    [2, 'tasks'],
  ])('%i %s', (n, noun) => {
    expect(plural(n, 'task')).toBe(`${n} ${noun}`);
  });

  it('takes an irregular plural', () => {
    expect(plural(2, 'entry', 'entries')).toBe('2 entries');
    expect(plural(1, 'entry', 'entries')).toBe('1 entry');
  });
});
