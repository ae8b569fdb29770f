import type { ControlRequest, SprintStore } from '../stores/sprint-store.js';

/**
 * Looks for pause/stop/cancel requests from other processes every `everyMs`
 * (one look at a time) and hands each to `onRequest`. Returns the function
 * that stops looking.
 */
export function pollControl(
  store: SprintStore,
  sprintId: string,
  everyMs: number,
  onRequest: (request: ControlRequest) => void,
): () => void {
  let polling = false;
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    store
      .takeControl(sprintId)
      .then((r) => r && onRequest(r))
      .catch(() => undefined)
      .finally(() => {
        polling = false;
      });
  }, everyMs);
  timer.unref?.();
  return () => clearInterval(timer);
}
