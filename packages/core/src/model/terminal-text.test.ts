import { describe, expect, it } from 'vitest';
import { escapeControls, escapeControlsDeep } from './terminal-text.js';

describe('escapeControls', () => {
  it.each([
    ['ESC (CSI clear screen)', 'a\x1b[2Jb', 'a\\e[2Jb'],
    [
      'ESC (OSC 8 hyperlink)',
      '\x1b]8;;https://evil.example\x1b\\x',
      '\\e]8;;https://evil.example\\e\\x',
    ],
    ['BEL (OSC 52 clipboard end)', '\x1b]52;c;aGk=\x07', '\\e]52;c;aGk=\\x07'],
    ['a bare CR', 'safe\rEVIL', 'safe\\rEVIL'],
    ['NUL, backspace, DEL', '\x00\x08\x7f', '\\x00\\x08\\x7f'],
    ['vertical tab and form feed', '\x0b\x0c', '\\x0b\\x0c'],
    ['C1 controls (CSI U+009B, NEL U+0085)', '\x9b2J\x85', '\\u009B2J\\u0085'],
    [
      'bidi overrides and embeddings',
      '\u202a\u202b\u202c\u202d\u202e',
      '\\u202A\\u202B\\u202C\\u202D\\u202E',
    ],
    ['bidi isolates', '\u2066\u2067\u2068\u2069', '\\u2066\\u2067\\u2068\\u2069'],
    ['bidi marks', '\u200e\u200f\u061c', '\\u200E\\u200F\\u061C'],
    ['line and paragraph separators', '\u2028\u2029', '\\u2028\\u2029'],
    ['LF on one line', 'one\ntwo', 'one\\ntwo'],
  ])('shows %s', (_, text, shown) => {
    expect(escapeControls(text)).toBe(shown);
  });

  it('leaves tabs and printable text (accents, CJK, emoji, backslashes) alone', () => {
    const text = 'a\tb é 日本語 🚀 C:\\path';
    expect(escapeControls(text)).toBe(text);
  });

  it('keeps line breaks in multi-line text (CRLF as LF), never a bare CR', () => {
    expect(escapeControls('one\r\ntwo\nthree\rfour\x1b[2J', { newlines: true })).toBe(
      'one\ntwo\nthree\\rfour\\e[2J',
    );
  });
});

describe('escapeControlsDeep', () => {
  it('escapes every string of a report, in arrays and nested objects, and copies nothing clean', () => {
    const clean = { id: 'a', counts: { done: 1 } };
    const report = {
      name: 'x\x1b[2Jy',
      clean,
      humanNeeded: { reason: 'why\u202e', options: ['ok', 'no\x9b'] },
      at: 3,
      none: null,
    };
    const safe = escapeControlsDeep(report);
    expect(safe).toEqual({
      name: 'x\\e[2Jy',
      clean,
      humanNeeded: { reason: 'why\\u202E', options: ['ok', 'no\\u009B'] },
      at: 3,
      none: null,
    });
    expect(safe.clean).toBe(clean);
    expect(report.name).toBe('x\x1b[2Jy'); // the original is not changed
    expect(escapeControlsDeep(clean)).toBe(clean);
  });
});
