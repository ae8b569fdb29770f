import { describe, expect, it } from 'vitest';
import { dependencyRows } from './dependency-rows.js';

const rows = (entries: [string, string[]][]) =>
  dependencyRows(new Map(entries)).map(
    (r) =>
      `${'  '.repeat(r.depth)}${r.id}${r.alsoAfter.length ? ` (+${r.alsoAfter.join(',')})` : ''}`,
  );

describe('dependencyRows', () => {
  it.each([
    [
      'independent tasks stay flat',
      [
        ['a', []],
        ['b', []],
      ],
      ['a', 'b'],
    ],
    [
      'a dependent sits under its prerequisite',
      [
        ['a', []],
        ['b', ['a']],
        ['c', []],
      ],
      ['a', '  b', 'c'],
    ],
    [
      'a second prerequisite is named',
      [
        ['a', []],
        ['b', []],
        ['c', ['a', 'b']],
      ],
      ['a', '  c (+b)', 'b'],
    ],
    ['an unknown prerequisite counts as none', [['a', ['gone']]], ['a (+gone)']],
    [
      'a cycle is listed once each, at the end',
      [
        ['a', ['b']],
        ['b', ['a']],
        ['c', []],
      ],
      ['c', 'a (+b)', '  b'],
    ],
  ] as [string, [string, string[]][], string[]][])('%s', (_name, entries, expected) => {
    expect(rows(entries)).toEqual(expected);
  });

  it('lists a 1,000-task chain without recursion, each task once', () => {
    const chain: [string, string[]][] = Array.from({ length: 1000 }, (_, i) => [
      `t${i}`,
      i ? [`t${i - 1}`] : [],
    ]);
    const out = dependencyRows(new Map(chain));
    expect(out).toHaveLength(1000);
    expect(out.at(-1)).toEqual({ id: 't999', depth: 999, alsoAfter: [] });
  });
});
