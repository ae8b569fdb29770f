import type { RunEvent } from '@sprint/core';

/**
 * Whether a write should also store the folded state (the checkpoint), or
 * only the events. Status changes and added tasks are checkpointed at once so
 * `list` is current; otherwise after as many events as the sprint has tasks
 * (at least 200), which keeps both the write cost per event and a reader's
 * replay independent of the sprint's size.
 */
export function shouldCheckpoint(input: {
  events: readonly RunEvent[];
  sinceCheckpoint: number;
  taskCount: number;
  statusChanged: boolean;
}): boolean {
  if (input.statusChanged) return true;
  if (input.events.some((e) => e.type === 'tasks-added' || e.type === 'run-ended')) return true;
  return input.sinceCheckpoint >= Math.max(200, input.taskCount);
}
