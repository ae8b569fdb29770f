import { describe, expect, it } from 'vitest';
import { statusNote } from './status-note.js';

describe('statusNote', () => {
  it.each([
    [
      'paused after task review (pause-after)',
      'paused',
      false,
      'paused after task review (pause-after). Review, then press Resume to go on.',
    ],
    [
      'paused at the request of api (127.0.0.1)',
      'paused',
      false,
      'paused at the request of api (127.0.0.1). Review, then press Resume to go on.',
    ],
    [undefined, 'paused', false, 'Paused. Review, then press Resume to go on.'],
    // A run resumed it meanwhile: the old reason is all there is.
    [
      'paused after task review (pause-after)',
      'paused',
      true,
      'paused after task review (pause-after)',
    ],
    ['tests fail', 'blocked', false, 'tests fail'],
    [undefined, 'in-progress', true, undefined],
  ])('%s, %s, running %s -> %s', (reason, status, running, note) => {
    expect(statusNote(reason, status, running)).toBe(note);
  });
});
