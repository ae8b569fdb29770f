import { describe, expect, it } from 'vitest';
import { noticeOf } from './notices.js';

describe('noticeOf', () => {
  it.each([
    [{ type: 'sprint-status', to: 'completed' }, 'completed'],
    [{ type: 'sprint-status', to: 'blocked', reason: 'tests fail' }, 'blocked'],
    [
      { type: 'sprint-status', to: 'needs-human', humanNeeded: { reason: 'v1 or v2?' } },
      'needs a human',
    ],
    [{ type: 'limit-reached', limit: 'max-cost', detail: '$5 spent' }, 'limit reached'],
    [{ type: 'sprint-status', to: 'in-progress' }, undefined],
    [{ type: 'sprint-status', to: 'paused' }, undefined],
    [{ type: 'task-finished' }, undefined],
  ])('%o -> %s', (event, title) => {
    expect(noticeOf(event)?.title).toBe(title);
  });

  it('carries the question and the reason', () => {
    expect(
      noticeOf({ type: 'sprint-status', to: 'needs-human', humanNeeded: { reason: 'v1 or v2?' } })
        ?.body,
    ).toBe('v1 or v2?');
    expect(noticeOf({ type: 'sprint-status', to: 'blocked', reason: 'tests fail' })?.body).toBe(
      'tests fail',
    );
  });
});
