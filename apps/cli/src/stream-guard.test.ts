import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { guardStream, isReaderGone } from './stream-guard.js';

describe('isReaderGone', () => {
  it.each([
    ['EPIPE', true],
    ['EIO', true],
    ['ECONNRESET', true],
    ['ERR_STREAM_DESTROYED', true],
    ['ENOSPC', false],
    [undefined, false],
  ])('%s -> %s', (code, expected) => {
    expect(isReaderGone(Object.assign(new Error('x'), { code }))).toBe(expected);
  });
});

describe('guardStream', () => {
  it('drops writes after the reader is gone and calls onGone once', () => {
    const written: string[] = [];
    const emitter = Object.assign(new EventEmitter(), {
      write: (s: string) => {
        written.push(s);
        return true;
      },
      isTTY: false,
    });
    let calls = 0;
    const out = guardStream(emitter, () => calls++);
    out.write('a');
    emitter.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    emitter.emit('error', Object.assign(new Error('destroyed'), { code: 'ERR_STREAM_DESTROYED' }));
    out.write('b');
    expect(written).toEqual(['a']);
    expect(out.gone).toBe(true);
    expect(calls).toBe(1);
  });

  it('rethrows errors that are not about the reader', () => {
    const emitter = Object.assign(new EventEmitter(), { write: () => true });
    guardStream(emitter, () => {});
    expect(() =>
      emitter.emit('error', Object.assign(new Error('disk full'), { code: 'ENOSPC' })),
    ).toThrow('disk full');
  });
});
