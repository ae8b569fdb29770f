/**
 * When the next checkpoint of a sprint's file form is due. A checkpoint is
 * written at once for status changes and otherwise as often as its own cost
 * allows: after one that took `lastMs`, the next waits four times as long, so
 * rewriting the file takes at most ~20% of wall time and a 1,000-task sprint
 * never rewrites it per event; and never sooner than {@link MIN_CHECKPOINT_GAP_MS}
 * after the last, so tasks of a few milliseconds (three fsyncs and two
 * renames each time) share one. The log holds every event meanwhile: readers
 * replay it past the checkpoint, and the next command brings a checkpoint a
 * crash left behind up to date.
 */
export interface CheckpointPace {
  /** When the last checkpoint ended (ms since the epoch; 0: never). */
  lastCheckpointAt: number;
  /** How long it took. */
  lastCheckpointMs: number;
}

/** Milliseconds until the next checkpoint is due: 0 means now. */
export function checkpointDelay(pace: CheckpointPace, now: number, urgent: boolean): number {
  if (urgent) return 0;
  const since = now - pace.lastCheckpointAt;
  const budget = Math.max(pace.lastCheckpointMs * 4, MIN_CHECKPOINT_GAP_MS);
  return since >= budget ? 0 : budget - since;
}

/** The shortest time between two paced checkpoints: a person never sees a staler file. */
const MIN_CHECKPOINT_GAP_MS = 100;

/** How long to wait before trying again after a checkpoint failed (disk full, a half-saved file). */
export const CHECKPOINT_RETRY_MS = 1000;
