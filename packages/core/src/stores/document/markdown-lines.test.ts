import { describe, expect, it } from 'vitest';
import { bodyLines, headingOf, locateFrontMatter, splitLines } from './markdown-lines.js';

describe('splitLines', () => {
  it('keeps every byte: joining text and eol gives the input back', () => {
    for (const text of ['', 'a', 'a\n', 'a\r\nb', 'a\r\n\r\nb\n', '\n\n']) {
      expect(
        splitLines(text)
          .map((l) => l.text + l.eol)
          .join(''),
      ).toBe(text);
    }
    expect(splitLines('a\r\nb').map((l) => [l.text, l.eol, l.start])).toEqual([
      ['a', '\r\n', 0],
      ['b', '', 3],
    ]);
  });
});

describe('headingOf', () => {
  it('reads ATX headings and nothing else', () => {
    expect(headingOf('## Goal')).toEqual({ level: 2, title: 'Goal' });
    expect(headingOf('### Phase 1: Planning ###')).toEqual({
      level: 3,
      title: 'Phase 1: Planning',
    });
    expect(headingOf('   # C#')).toEqual({ level: 1, title: 'C#' });
    expect(headingOf('#hashtag')).toBeUndefined();
    expect(headingOf('    # indented code')).toBeUndefined();
    expect(headingOf('####### seven')).toBeUndefined();
  });
});

describe('bodyLines', () => {
  it('skips the front matter, BOM included', () => {
    const lines = splitLines('\uFEFF---\r\n# not a heading\r\n---\r\n# Title\r\n');
    expect(locateFrontMatter(lines)).toMatchObject({ close: 2, source: '# not a heading\r\n' });
    expect(bodyLines(lines).map((l) => l.heading?.title)).toEqual(['Title']);
  });

  it('closes a fence only with the same character, at least as long', () => {
    const text = ['````md', '```', '# in', '~~~', '````', '# out', '``` not `a` fence', '# after'];
    const body = bodyLines(splitLines(text.join('\n')));
    expect(body.map((l) => l.fenced)).toEqual([true, true, true, true, true, false, false, false]);
    expect(body.filter((l) => l.heading).map((l) => l.heading!.title)).toEqual(['out', 'after']);
  });
});
