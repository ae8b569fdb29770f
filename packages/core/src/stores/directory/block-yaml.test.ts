import { describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { toBlockYaml } from './block-yaml.js';

const NASTY = [
  '',
  ' ',
  'plain',
  'true',
  'False',
  'yes',
  'off',
  'null',
  '~',
  '42',
  '-7',
  '+3',
  '0x1F',
  '0o17',
  '1e5',
  '.5',
  '.inf',
  '-.Inf',
  '.NaN',
  '2026-01-15',
  '2026-01-15T09:00:00Z',
  '1:30',
  '<<',
  '---',
  '...',
  '... more',
  '- dash',
  '? q',
  ': colon',
  'a: b',
  'a:b',
  'ends:',
  'x #comment',
  'x#not',
  '#start',
  '&anchor',
  '*alias',
  '!tag',
  '|pipe',
  '>fold',
  "'single'",
  '"double"',
  '%percent',
  '@at',
  '`tick',
  '{flow}',
  '[list]',
  'a, b',
  'tab\there',
  '\tlead tab',
  'trail ',
  ' lead',
  'é ✓ 日本 😀',
  '\u00a0nbsp',
  'line\nline',
  'line\n',
  'line\n\n',
  'line\n\n\n',
  '\nlead newline',
  '\n\n',
  '\n',
  '  indented\nsecond',
  'first\n  indented\n',
  'first\n\n  gap\n',
  'cr\r\nlf',
  'bell\u0007',
  'del\u007f',
  'nel\u0085',
  'ls\u2028ps\u2029',
  'bom\ufeff',
  'lone \ud800 surrogate',
  'back\\slash',
  'x\n---\ny',
  'x\n...\ny',
  '# not a comment\n- not a list\n',
];

function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function value(next: () => number, depth: number): unknown {
  const r = next();
  if (depth > 3 || r < 0.5) {
    const s = next();
    if (s < 0.55) return NASTY[Math.floor(next() * NASTY.length)];
    if (s < 0.7) return Math.floor(next() * 1e6) - 5e5;
    if (s < 0.8) return next() * 10 ** Math.floor(next() * 30 - 15);
    if (s < 0.9) return next() < 0.5;
    return null;
  }
  if (r < 0.75) return Array.from({ length: Math.floor(next() * 4) }, () => value(next, depth + 1));
  const map: Record<string, unknown> = {};
  const n = Math.floor(next() * 4);
  for (let i = 0; i < n; i++)
    map[NASTY[Math.floor(next() * NASTY.length)]!] = value(next, depth + 1);
  return map;
}

describe('toBlockYaml', () => {
  it('writes text that reads back as the same text', () => {
    for (const text of NASTY) {
      const yaml = toBlockYaml({ value: text, list: [text], [text]: 1 });
      expect(parse(yaml), JSON.stringify(text)).toEqual({ value: text, list: [text], [text]: 1 });
    }
  });

  it('writes any plain data so that it reads back the same', () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const next = random(seed);
      const data = { root: value(next, 0), other: value(next, 0) };
      const yaml = toBlockYaml(data);
      const doc = parseDocument(yaml);
      expect(doc.errors, `seed ${seed}`).toEqual([]);
      expect(doc.toJS(), `seed ${seed}\n${yaml}`).toEqual(data);
    }
  });

  it('uses block style, literal blocks for lines, and a comment header', () => {
    expect(
      toBlockYaml(
        {
          a: 1,
          list: [{ id: 'x', deps: ['y'] }, [], {}, ['z']],
          text: 'one\ntwo\n',
          empty: {},
          skip: undefined,
        },
        'header\nsecond',
      ),
    ).toBe(`# header
# second

a: 1
list:
  - id: x
    deps:
      - y
  - []
  - {}
  -
    - z
text: |
  one
  two
empty: {}
`);
  });
});

describe('long text', () => {
  it('writes a long one-line text as a block that reads back exactly, never double-quoted', () => {
    const text = `${'word '.repeat(400)}ends with a space `;
    const out = toBlockYaml({ description: text });
    expect(out.startsWith('description: |-\n')).toBe(true);
    expect(parse(out)).toEqual({ description: text });
  });
});
