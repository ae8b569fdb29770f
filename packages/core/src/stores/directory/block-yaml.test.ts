import fc from 'fast-check';
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

/** Plain data as a sprint's files hold it: the nasty strings above among any others. */
const text = fc.oneof(fc.constantFrom(...NASTY), fc.string({ unit: 'binary', maxLength: 20 }));
const { value: plain } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    fc.integer({ min: -5e5, max: 5e5 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(text, tie('value'), { maxKeys: 4 }),
  ),
}));

describe('toBlockYaml', () => {
  it('writes text that reads back as the same text', () => {
    for (const text of NASTY) {
      const yaml = toBlockYaml({ value: text, list: [text], [text]: 1 });
      expect(parse(yaml), JSON.stringify(text)).toEqual({ value: text, list: [text], [text]: 1 });
    }
  });

  it('writes any plain data so that it reads back the same', () => {
    fc.assert(
      fc.property(plain, plain, (root, other) => {
        const data = { root, other };
        const yaml = toBlockYaml(data);
        const doc = parseDocument(yaml);
        expect(doc.errors).toEqual([]);
        expect(doc.toJS(), yaml).toEqual(data);
      }),
      { numRuns: 2000 },
    );
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
