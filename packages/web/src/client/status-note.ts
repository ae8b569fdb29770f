/**
 * The line under a sprint's title: why it stands where it is (`sprint.reason`: `paused
 * after task review (pause-after)`, `max tasks reached (...)`), and for a paused sprint
 * no run holds, how to go on. Undefined: nothing to say.
 */
export function statusNote(
  reason: string | undefined,
  status: string | undefined,
  running: boolean,
): string | undefined {
  if (status === 'paused' && !running) {
    return `${reason ?? 'Paused'}. Review, then press Resume to go on.`;
  }
  return reason;
}
