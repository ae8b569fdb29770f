import { describe, expect, it } from 'vitest';
import { LoopWaker } from './loop-waker.js';

/**
 * Steps: `sent:<queue>` and `named:<queue>` (expect the ids woken, and for
 * `named` whether it is handed on to all), `poll` (expects the ids woken),
 * `start:<id>`, `finish:<id>` (expects whether it looks again at once).
 */
type Step = [string, (string[] | boolean)?, boolean?];

function play(steps: Step[]): void {
  const waker = new LoopWaker();
  waker.add('a', 'a1');
  waker.add('a', 'a2');
  waker.add('b', 'b1');
  for (const [step, expected, handOn = false] of steps) {
    const [kind, arg = ''] = step.split(':');
    if (kind === 'sent') expect(waker.sent(arg).wake, step).toEqual(expected);
    else if (kind === 'named')
      expect(waker.sent(arg, true), step).toEqual({ wake: expected, handOn });
    else if (kind === 'poll') expect(waker.poll(), step).toEqual(expected);
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
        ['sent:a', ['a1']],
        ['sent:a', ['a2']],
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
      'a wake of a loop whose fetch is under way wakes it again (pg-boss fetches once more)',
      [
        ['sent:a', ['a1']],
        ['sent:a', ['a2']],
        ['sent:a', ['a1']],
        ['start:a1'],
        ['start:a2'],
        ['finish:a2', false],
        ['finish:a1', false],
      ],
    ],
    [
      'a loop whose fetch found nothing is woken again',
      [['sent:a', ['a1']], ['start:a2'], ['sent:a', ['a1']], ['finish:a2', true]],
    ],
    [
      'a job of another queue never wakes these loops',
      [['sent:b', ['b1']], ['start:b1'], ['sent:a', ['a2']], ['finish:b1', false]],
    ],
    [
      'after a reconnect every idle loop looks, and each busy one when it is done',
      [['start:a1'], ['sent:', ['a2', 'b1']], ['finish:a1', true]],
    ],
    [
      'a job named for this process with a free loop wakes it and is not handed on',
      [['start:a1'], ['named:a', ['a2'], false]],
    ],
    [
      'a job named for this process with no loop free is handed on to all (this one among them)',
      [
        ['sent:a', ['a1']],
        ['sent:a', ['a2']],
        ['start:a1'],
        ['start:a2'],
        ['named:a', [], true],
        ['finish:a1', false],
        ['sent:a', ['a1']],
        ['finish:a2', false],
      ],
    ],
    [
      'a job named for this process whose only free loop is already fetching wakes it again',
      [['start:a1'], ['sent:a', ['a2']], ['named:a', ['a2'], false]],
    ],
    [
      'a poll wakes one idle loop of each queue, one not woken yet first',
      [['start:b1'], ['sent:a', ['a1']], ['poll', ['a2']], ['poll', ['a1']]],
    ],
    [
      'a loop whose job was found by a look, not sent with a wake, looks again when done',
      [
        ['poll', ['a1', 'b1']],
        ['start:a1'],
        ['finish:a1', true],
        ['start:b1'],
        ['finish:b1', true],
      ],
    ],
    [
      'a loop whose job came with a wake does not',
      [['sent:a', ['a1']], ['start:a1'], ['finish:a1', false]],
    ],
  ])('%s', (_, steps) => play(steps));
});
