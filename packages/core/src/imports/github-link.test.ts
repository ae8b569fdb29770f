import { describe, expect, it } from 'vitest';
import { nextPageUrl } from './github-link.js';

describe('nextPageUrl', () => {
  it.each([
    [null, undefined],
    ['', undefined],
    [
      '<https://api.github.com/repositories/1/issues?page=2>; rel="next", <https://api.github.com/repositories/1/issues?page=5>; rel="last"',
      'https://api.github.com/repositories/1/issues?page=2',
    ],
    [
      '<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=1>; rel="first"',
      undefined,
    ],
    [
      '<http://127.0.0.1:9/a?page=3>; rel="last", <http://127.0.0.1:9/a?page=2>; rel="next"',
      'http://127.0.0.1:9/a?page=2',
    ],
  ])('%j -> %j', (link, expected) => {
    expect(nextPageUrl(link)).toBe(expected);
  });
});
