/** A browser notification worth sending. */
export interface Notice {
  title: string;
  body: string;
}

/**
 * The notification an event deserves, if any: a sprint that completes,
 * blocks, needs a human or hits a limit. Pure, tested by table.
 */
export function noticeOf(event: {
  type: string;
  to?: unknown;
  reason?: unknown;
  detail?: unknown;
  limit?: unknown;
  humanNeeded?: { reason?: unknown };
}): Notice | undefined {
  if (event.type === 'limit-reached')
    return { title: 'limit reached', body: String(event.detail ?? event.limit) };
  if (event.type !== 'sprint-status') return undefined;
  switch (event.to) {
    case 'completed':
      return { title: 'completed', body: 'Every task is done.' };
    case 'blocked':
      return { title: 'blocked', body: String(event.reason ?? 'A task is blocked.') };
    case 'needs-human':
      return {
        title: 'needs a human',
        body: String(event.humanNeeded?.reason ?? 'A question waits for an answer.'),
      };
    default:
      return undefined;
  }
}
