import { describe, expect, it } from 'vitest';
import { copyPlain } from './copy-plain.js';

describe('copyPlain', () => {
  it('copies objects and arrays deeply, keeps own __proto__ keys as keys, and shares what is not plain', () => {
    const when = new Date(0);
    const value = JSON.parse('{"a":[{"b":"text"}],"__proto__":{"x":1},"n":null}') as Record<
      string,
      unknown
    >;
    value.when = when;
    const copy = copyPlain(value);
    expect(copy).toEqual(value);
    expect(copy.a).not.toBe(value.a);
    expect((copy.a as object[])[0]).not.toBe((value.a as object[])[0]);
    expect(Object.keys(copy)).toContain('__proto__');
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(copy.when).toBe(when);
    (copy.a as { b: string }[])[0]!.b = 'changed';
    expect((value.a as { b: string }[])[0]!.b).toBe('text');
  });
});
