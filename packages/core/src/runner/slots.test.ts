import { describe, expect, it } from 'vitest';
import { slotsTaken } from './slots.js';

describe('slotsTaken', () => {
  it.each([
    // inflight, integrating, waiting to retry, concurrency -> taken
    [0, 0, 0, 1, 0],
    [1, 0, 0, 1, 1], // one running
    [1, 1, 0, 1, 0], // it only waits for integration: the slot is free
    [2, 2, 0, 1, 1], // a second one waiting: past concurrency, it holds a slot
    [4, 4, 0, 2, 2],
    [3, 1, 0, 2, 2], // two running, one waiting for integration
    [1, 0, 1, 2, 2], // a task waiting to retry keeps its slot
  ])(
    'inflight %i, integrating %i, retrying %i, concurrency %i: %i taken',
    (inflight, integrating, waitingToRetry, concurrency, taken) => {
      expect(slotsTaken({ inflight, integrating, waitingToRetry, concurrency })).toBe(taken);
    },
  );
});
