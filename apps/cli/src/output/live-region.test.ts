import { describe, expect, it } from 'vitest';
import { cellWidth, clipToHeight, cutToCells } from './live-region.js';

describe('cellWidth', () => {
  it.each([
    ['abc', 3],
    ['日本語', 6],
    ['🚀 go', 5],
    ['\u001b[31mred\u001b[39m', 3],
  ])('%j is %i cells', (text, cells) => {
    expect(cellWidth(text)).toBe(cells);
  });
});

describe('cutToCells', () => {
  it.each([
    ['short', 10, 'short'],
    ['abcdefghij', 5, 'abcd…'],
    ['日本語のタイトル', 7, '日本語…'],
    ['🚀🚀🚀🚀', 5, '🚀🚀…'],
    ['x', 0, ''],
  ])('%j in %i cells -> %j', (line, width, expected) => {
    const cut = cutToCells(line, width);
    expect(cut).toBe(expected);
    expect(cellWidth(cut)).toBeLessThanOrEqual(width);
  });

  it('keeps colours and closes them after the cut', () => {
    const cut = cutToCells(`\u001b[31m${'漢'.repeat(40)}\u001b[39m`, 11);
    expect(cellWidth(cut)).toBeLessThanOrEqual(11);
    expect(cut.startsWith('\u001b[31m')).toBe(true);
    expect(cut).toContain('\u001b[39m');
  });
});

describe('clipToHeight', () => {
  it.each([
    [['a', 'b', 'sum'], 5, ['a', 'b', 'sum']],
    [['a', 'b', 'c', 'd', 'sum'], 4, ['a', 'b', '… 2 more lines', 'sum']],
    [['a', 'b', 'c', 'sum'], 3, ['a', '… 2 more lines', 'sum']],
    [['a', 'b', 'sum'], 1, ['sum']],
  ])('%j in %i rows -> %j', (lines, height, expected) => {
    expect(clipToHeight(lines, height)).toEqual(expected);
  });
});
