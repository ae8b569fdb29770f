/**
 * How many of a run's `concurrency` slots are taken: tasks in flight (their
 * agent and verify), and tasks waiting to retry. Up to `concurrency`
 * tasks that only wait for integration hold no slot; past that they do, so a
 * stalled merge queue (a person's modified file, a long merge-verify) does
 * not let tasks and their worktrees pile up.
 */
export function slotsTaken(n: {
  /** Tasks started and not yet settled, those waiting for integration included. */
  inflight: number;
  /** Of those, the ones whose agent and verify are done: only their commit and integration remain. */
  integrating: number;
  waitingToRetry: number;
  concurrency: number;
}): number {
  const beyond = Math.max(0, n.integrating - n.concurrency);
  return n.inflight - n.integrating + beyond + n.waitingToRetry;
}
