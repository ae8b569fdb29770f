/** The median of per-pair ratios, its bootstrap interval, and what it allows one to say. */
export interface OverheadVerdict {
  median: number;
  /** The 95 % bootstrap interval of the median. */
  low: number;
  high: number;
  /**
   * `met`: the interval's upper end is within the target; `NOT met`: its lower
   * end is above it; `inconclusive`: the interval straddles the target;
   * `implausible`: the wrapper ran faster than the CLI alone (the interval's
   * upper end is below 1 - target), so the two sides did not run the same thing.
   */
  verdict: 'met' | 'NOT met' | 'inconclusive' | 'implausible';
}

/** Pairs a verdict needs at least. */
export const MIN_PAIRS = 6;

/** The median of `xs` (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** A small seeded generator (mulberry32): the same ratios give the same interval. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Judges per-pair ratios (wrapper time / direct time, one per adjacent pair of
 * runs) against `target` (0.05: within 5 %). The median's 95 % interval comes
 * from a percentile bootstrap (2,000 resamples, seeded). Pure.
 *
 * @example
 * overheadVerdict([1.01, 0.99, 1.02, 1.0, 1.01, 1.0], 0.05).verdict // 'met'
 */
export function overheadVerdict(ratios: readonly number[], target: number): OverheadVerdict {
  if (ratios.length === 0) throw new Error('overheadVerdict: no ratios');
  const random = seeded(0x5eed);
  const medians: number[] = [];
  for (let b = 0; b < 2000; b++) {
    const sample = ratios.map(() => ratios[Math.floor(random() * ratios.length)] as number);
    medians.push(median(sample));
  }
  medians.sort((x, y) => x - y);
  const low = medians[Math.floor(0.025 * medians.length)] as number;
  const high = medians[Math.ceil(0.975 * medians.length) - 1] as number;
  const limit = 1 + target;
  return {
    median: median(ratios),
    low,
    high,
    // Fewer pairs than MIN_PAIRS make an interval that means nothing: no verdict.
    verdict:
      ratios.length < MIN_PAIRS
        ? 'inconclusive'
        : high < 1 - target
          ? 'implausible'
          : high <= limit
            ? 'met'
            : low > limit
              ? 'NOT met'
              : 'inconclusive',
  };
}
