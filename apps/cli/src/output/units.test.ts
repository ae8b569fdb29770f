import { describe, expect, it } from 'vitest';
import { clock, count, progressBar, truncate, usd } from './units.js';

describe('units', () => {
  it('formats a running clock', () => {
    expect(clock(0)).toBe('0:00');
    expect(clock(7_900)).toBe('0:07');
    expect(clock(754_000)).toBe('12:34');
    expect(clock(3_723_000)).toBe('1:02:03');
  });

  it('formats money with more digits below a cent', () => {
    expect(usd(0)).toBe('$0.00');
    expect(usd(0.0042)).toBe('$0.0042');
    expect(usd(1.234)).toBe('$1.23');
  });

  it('formats token counts', () => {
    expect(count(950)).toBe('950');
    expect(count(1234)).toBe('1.2k');
    expect(count(45_600)).toBe('46k');
    expect(count(4_500_000)).toBe('4.5M');
  });

  it('draws a progress bar of done/total', () => {
    expect(progressBar(1, 4, 8)).toBe('[██░░░░░░] 1/4');
    expect(progressBar(0, 0, 4)).toBe('[░░░░] 0/0');
  });

  it('cuts long lines and flattens whitespace', () => {
    expect(truncate('a  b\nc', 10)).toBe('a b c');
    expect(truncate('abcdefghij', 5)).toBe('abcd…');
  });
});
