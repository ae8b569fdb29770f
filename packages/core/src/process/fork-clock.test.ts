import { describe, expect, it } from 'vitest';
import { type ForkClock, forkClock, forkedAbove } from './process-tree.js';

const at = (forks: number, threads = 200, pidMax = 32_768): ForkClock => ({
  forks,
  threads,
  pidMax,
});

describe('forkedAbove: whether the processes forked since an attempt began all have higher PIDs', () => {
  it.each([
    // first PID, before, now, answer, why
    [1000, at(5000), at(5001), true, 'one fork (its own) and PIDs to spare'],
    [1000, at(5000), at(5100), true, 'a hundred forks, far from the top'],
    [
      1000,
      at(5000),
      at(5000),
      false,
      'no fork counted, not even its own: the counter is not the kernel’s',
    ],
    [1000, at(5000), at(4000), false, 'the counter went back'],
    [32_000, at(5000), at(5100), false, '100 forks, 767 PIDs left above it, 200 processes'],
    [32_000, at(5000, 10), at(5010, 10), true, '10 forks and 10 processes fit below the top'],
    [1000, at(5000), at(5000 + 8000), false, 'enough forks to go round the 31,767 PIDs above it'],
    [
      1000,
      at(5000, 200, 4_194_304),
      at(5000 + 8000, 200, 4_194_304),
      true,
      'the same with a 64-bit pid_max',
    ],
    [1000, at(5000, 200, 4_194_304), at(5001, 200, 1100), false, 'pid_max lowered meanwhile'],
  ])('first %i, %o -> %o: %s (%s)', (first, before, now, answer) => {
    expect(forkedAbove(first, before, now)).toBe(answer);
  });

  it.skipIf(process.platform !== 'linux')('reads the kernel’s counters on Linux', () => {
    const clock = forkClock();
    expect(clock?.forks).toBeGreaterThan(0);
    expect(clock?.threads).toBeGreaterThan(0);
    expect(clock?.pidMax).toBeGreaterThan(300);
  });
});
