import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { NASTY, plain } from '../../../test/block-yaml-data.js';
import { toBlockYaml } from './block-yaml.js';

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
