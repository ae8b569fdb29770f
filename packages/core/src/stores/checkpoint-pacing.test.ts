import { describe, expect, it } from 'vitest';
import { checkpointDelay } from './checkpoint-pacing.js';

describe('checkpointDelay: when the next checkpoint is due', () => {
  it.each([
    // last ended at, last took, now, urgent, delay, why
    [0, 0, 1_000_000, false, 0, 'never written: now'],
    [1000, 2, 1001, true, 0, 'a status change: now'],
    [1000, 50, 1100, false, 100, 'four times the last one: 200 ms after it'],
    [1000, 50, 1300, false, 0, 'its budget spent: now'],
    [
      1000,
      2,
      1008,
      false,
      92,
      'a 2 ms checkpoint is not rewritten per 8 ms task: 100 ms apart at least',
    ],
    [1000, 2, 1100, false, 0, '100 ms after a cheap one: now'],
  ])('last at %i, took %i ms, now %i, urgent %s -> %i (%s)', (at, took, now, urgent, delay) => {
    expect(checkpointDelay({ lastCheckpointAt: at, lastCheckpointMs: took }, now, urgent)).toBe(
      delay,
    );
  });
});
