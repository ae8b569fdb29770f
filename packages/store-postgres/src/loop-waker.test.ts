import { describe, expect, it } from 'vitest';
import { LoopWaker } from './loop-waker.js';

/** Steps: `sent:<queue>` (expects the ids woken), `start:<id>`, `finish:<id>` (expects whether it is woken at once). */
type Step = [string, (string[] | boolean)?];

function play(steps: Step[]): void {
  const waker = new LoopWaker();
  waker.add('a', 'a1');
  waker.add('a', 'a2');
  waker.add('b', 'b1');
  for (const [step, expected] of steps) {
    const [kind, arg = ''] = step.split(':');
    if (kind === 'sent') expect(waker.sent(arg), step).toEqual(expected);
    else if (kind === 'start') waker.started(arg);
    else if (kind === 'finish') expect(waker.finished(arg), step).toBe(expected);
  }
}

describe('LoopWaker', () => {
  it.each<[string, Step[]]>([
    [
      'a job wakes one idle loop of its queue, one not woken yet first',
      [
        ['sent:a', ['a1']],
        ['sent:a', ['a2']],
        ['sent:b', ['b1']],
      ],
    ],
    [
      'jobs sent while every loop is busy are fetched one per finish',
      [
        ['start:a1'],
        ['start:a2'],
        ['sent:a', []],
        ['sent:a', []],
        ['finish:a1', true],
        ['start:a1'],
        ['finish:a2', true],
        ['start:a2'],
        ['finish:a1', false],
        ['finish:a2', false],
      ],
    ],
    [
      'a wake that folds into one under way also waits for the next finish',
      [
        ['sent:a', ['a1']],
        ['sent:a', ['a2']],
        ['sent:a', ['a1']],
        ['start:a1'],
        ['start:a2'],
        ['finish:a2', true],
        ['finish:a1', false],
      ],
    ],
    [
      'a loop whose fetch found nothing is woken again',
      [['sent:a', ['a1']], ['start:a2'], ['sent:a', ['a1']], ['finish:a2', true]],
    ],
    [
      'a job of another queue never wakes these loops',
      [['start:b1'], ['sent:a', ['a1']], ['finish:b1', false]],
    ],
    [
      'after a reconnect every idle loop looks, and each busy one when it is done',
      [['start:a1'], ['sent:', ['a2', 'b1']], ['finish:a1', true]],
    ],
  ])('%s', (_, steps) => play(steps));
});
