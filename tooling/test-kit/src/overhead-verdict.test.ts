import { describe, expect, it } from 'vitest';
import { median, overheadVerdict } from './overhead-verdict.js';

describe('overheadVerdict', () => {
  it.each([
    ['tight around 1.00', [1.0, 1.01, 0.99, 1.0, 1.02, 0.99, 1.01, 1.0], 'met'],
    ['tight around 1.20', [1.2, 1.21, 1.19, 1.2, 1.22, 1.18, 1.2, 1.21], 'NOT met'],
    // A loaded machine: pairs from 0.70 to 1.10. The median may look fine; the interval does not.
    ['swinging 0.70 to 1.10', [0.7, 1.1, 0.75, 1.05, 0.8, 1.1, 0.72, 1.08], 'inconclusive'],
    // A wrapper cannot be faster than the CLI it runs: the sides differ, never "met".
    ['tight around 0.75', [0.75, 0.76, 0.74, 0.75, 0.77, 0.74, 0.75], 'implausible'],
    ['too few pairs', [0.75, 0.76, 0.74], 'inconclusive'],
  ] as const)('%s -> %s', (_, ratios, verdict) => {
    expect(overheadVerdict(ratios, 0.05).verdict).toBe(verdict);
  });

  it('never says met for a median of 0.75 that comes from noise', () => {
    const noisy = [0.6, 0.75, 1.12, 0.7, 0.75, 1.15, 0.74, 0.9];
    const v = overheadVerdict(noisy, 0.05);
    expect(median(noisy)).toBeLessThan(0.9);
    expect(v.verdict).not.toBe('met');
    expect(v.low).toBeLessThanOrEqual(v.median);
    expect(v.high).toBeGreaterThanOrEqual(v.median);
  });

  it('is the same for the same ratios (seeded)', () => {
    const r = [1.0, 1.03, 0.98, 1.06, 1.01];
    expect(overheadVerdict(r, 0.05)).toEqual(overheadVerdict(r, 0.05));
  });
});
