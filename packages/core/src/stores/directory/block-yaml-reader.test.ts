import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { NASTY, plain } from '../../../test/block-yaml-data.js';
import { toBlockYaml } from './block-yaml.js';
import { readBlockYaml } from './block-yaml-reader.js';
import { readYamlSource, type YamlPath } from './yaml-source.js';

/** Text with what the writer has to choose a form for: lines, indents, tabs, length. */
const shortText = fc.oneof(fc.constantFrom(...NASTY), fc.string({ unit: 'binary', maxLength: 20 }));
const text = fc.oneof(
  shortText,
  fc.string({
    unit: fc.constantFrom('a', ' ', '\n', '\t', '#', ':', '-', '"', '|', 'é'),
    maxLength: 30,
  }),
  fc
    .tuple(fc.constantFrom('x', 'line ', 'é ✓ ', '  '), fc.integer({ min: 150, max: 400 }))
    .map(([unit, n]) => unit.repeat(n)),
);
const { value: rich } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    fc.integer(),
    fc.double(),
    fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    // Short keys: `yaml` refuses a key longer than 1024 characters, so the writer never has one.
    fc.dictionary(shortText, tie('value'), { maxKeys: 4 }),
  ),
}));

/** What `yaml` reads from `source`, or undefined when it reports an error. */
function yamlReads(source: string): unknown {
  const doc = parseDocument(source);
  return doc.errors.length ? undefined : doc.toJS();
}

/** Every path to a key or an item in `value`, and one step past each. */
function pathsOf(value: unknown, at: YamlPath = []): YamlPath[] {
  const out: YamlPath[] = [[...at, 'missing']];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...pathsOf(v, [...at, i]));
  } else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...at, k]));
  return out;
}

describe('readBlockYaml', () => {
  it('reads what toBlockYaml writes as yaml does', () => {
    fc.assert(
      fc.property(rich, rich, (root, other) => {
        const source = toBlockYaml({ root, other }, 'a header\n\nline');
        const read = readBlockYaml(source);
        if (read !== undefined) expect(read, source).toEqual(parse(source));
      }),
      { numRuns: 3000 },
    );
  });

  it('reads comment lines that close the file as yaml does: after any value, a | block too', () => {
    fc.assert(
      fc.property(rich, fc.array(text, { minLength: 1, maxLength: 3 }), (root, comments) => {
        const written = toBlockYaml({ root });
        const source = written + comments.map((c) => `#${c.replace(/[\r\n]/g, ' ')}\n`).join('');
        const read = readBlockYaml(source);
        expect(read, source).toEqual(parse(source));
        expect(read).toEqual(readBlockYaml(written));
      }),
      { numRuns: 1000 },
    );
    // A kept `|+` block's blank lines stay its own before the comment, as yaml keeps them.
    expect(readBlockYaml('a: |+\n  x\n\n# c\n')).toEqual(parse('a: |+\n  x\n\n# c\n'));
  });

  it('answers for plain data (it only declines what it was not written for)', () => {
    fc.assert(
      fc.property(plain, plain, (root, other) => {
        const source = toBlockYaml({ root, other });
        expect(readBlockYaml(source), source).toEqual(parse(source));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads each awkward text as the same text, as a value, an item and a key', () => {
    for (const t of NASTY) {
      const source = toBlockYaml({ value: t, list: [t], [t]: 1 });
      expect(readBlockYaml(source), JSON.stringify(t)).toEqual({ value: t, list: [t], [t]: 1 });
    }
  });

  it('keeps text that looks like another type as text, and reads the types it writes', () => {
    const data = {
      texts: ['42', '-7', '1e5', '.5', '.inf', 'true', 'False', 'null', '~', 'yes', '0x1F', '0o17'],
      numbers: [0, -1, 42, 1.5, -0.25, 1e21, 1e-7, 123456789012, Number.MAX_SAFE_INTEGER],
      odd: [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN],
      flags: [true, false, null],
      empty: { list: [], map: {}, nested: [[], {}, [[]]] },
    };
    const source = toBlockYaml(data);
    expect(readBlockYaml(source)).toEqual(parse(source));
    expect(readBlockYaml(source)).toEqual(data);
  });

  it('reads quoted escapes, unicode and | blocks with each chomping the writer uses', () => {
    const texts = [
      'tab\there "quoted" back\\slash',
      'bell\u0007 del\u007f nel\u0085 ls\u2028 bom\ufeff lone\ud800',
      'é ✓ 日本 😀',
      'one\ntwo', // |-
      'one\ntwo\n', // |
      'one\ntwo\n\n\n', // |+
      '\n\nleading lines\n',
      'gap\n\n\nin the middle',
      'first\n  indented\n\ttabbed\n',
      'spaces\n   \nalone\n  \n\n',
      'ends in spaces\n  ',
      `${'long '.repeat(300)}and a space at the end `,
    ];
    // A key longer than 1024 characters is an error to yaml: the writer never gets one.
    const keys = texts.filter((t) => JSON.stringify(t).length < 1000);
    const data = { texts, keyed: Object.fromEntries(keys.map((t, i) => [t, i])) };
    for (const source of [toBlockYaml(data), toBlockYaml({ last: texts.at(5) })]) {
      expect(readBlockYaml(source), source).toEqual(parse(source));
    }
    expect(readBlockYaml(toBlockYaml(data))).toEqual(data);
  });

  it('reads a __proto__ key as a key, as yaml does', () => {
    const source = toBlockYaml(JSON.parse('{"__proto__": {"polluted": true}, "a": 1}'));
    const read = readBlockYaml(source);
    expect(read).toEqual(parse(source));
    expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
    expect(Object.keys(read ?? {})).toEqual(['__proto__', 'a']);
  });

  it('reads a megabyte of text in one value', () => {
    const big = `${'word '.repeat(200_000)}\nand more\n`;
    expect(readBlockYaml(toBlockYaml({ description: big }))).toEqual({ description: big });
  });

  it('declines what it was not written for, which yaml then reads', () => {
    for (const source of [
      'a: 1\n# a comment below the header\nb: 2\n',
      'a: 1 # trailing comment\n',
      'a: [1, 2]\n',
      'a: {b: 1}\n',
      'a: &x 1\nb: *x\n',
      'a: !!str 1\n',
      'a:\n- 1\n',
      'a:\n    b: 1\n',
      'a: 1\n\nb: 2\n',
      'a: 1\r\n',
      'a: 1',
      'a:\tb\n',
      'a:  b\n',
      "a: 'single'\n",
      'a: >\n  folded\n',
      'a: |2\n  explicit\n',
      'a: |-\n  x\n  \nb: 1\n',
      'a: plain\n  continued\n',
      'a:\n',
      'a: 1\na: 2\n',
      '---\na: 1\n',
      '- 1\n',
      '',
      '# only a comment\n',
      'a: 1\n# a comment\n\n# after a blank line\n',
      'a: 1\n  # an indented comment at the end\n',
      'a: ~\n',
      'a: 0x1F\n',
      'a: 007\n',
      `${'k'.repeat(1100)}: 1\n`,
      `"${'\\n'.repeat(600)}": 1\n`,
    ]) {
      expect(readBlockYaml(source), JSON.stringify(source)).toBeUndefined();
    }
  });

  it('agrees with yaml or declines when the writer output is edited by hand', () => {
    const edit = fc.tuple(
      fc.nat(),
      fc.constantFrom('insert', 'delete', 'indent', 'dedent', 'join', 'duplicate'),
      fc.constantFrom(
        ' ',
        '  ',
        '\t',
        '#',
        ': ',
        ':',
        '-',
        '- ',
        '\n',
        '"',
        "'",
        '|',
        '>',
        '&a',
        '*a',
        '!',
        '[',
        ']',
        '{',
        '}',
        ',',
        '?',
        '%',
        '\\',
        'x',
        '0',
        '---',
      ),
    );
    fc.assert(
      fc.property(rich, fc.array(edit, { minLength: 1, maxLength: 3 }), (root, edits) => {
        let source = toBlockYaml({ root, tail: 'end' });
        for (const [n, kind, piece] of edits) source = mutate(source, n, kind, piece);
        const read = readBlockYaml(source);
        if (read !== undefined) expect(read, source).toEqual(yamlReads(source));
      }),
      { numRuns: 4000 },
    );
  });

  it('gives each key and item the line yaml gives it', () => {
    fc.assert(
      fc.property(rich, rich, (root, other) => {
        const source = toBlockYaml({ root, other }, 'header');
        const fast = readYamlSource(source, 'fast.yaml');
        // A comment at the end: the same lines, but only yaml reads it.
        const slow = readYamlSource(`${source}# not the writer's\n`, 'slow.yaml');
        if (fast.value === undefined || readBlockYaml(source) === undefined) return;
        for (const path of pathsOf(fast.value)) {
          expect(fast.locate(path), `${JSON.stringify(path)} in\n${source}`).toBe(
            slow.locate(path),
          );
        }
      }),
      { numRuns: 1000 },
    );
  });
});

function mutate(source: string, n: number, kind: string, piece: string): string {
  const lines = source.split('\n');
  const i = n % lines.length;
  const line = lines[i] ?? '';
  const at = line.length ? n % (line.length + 1) : 0;
  switch (kind) {
    case 'insert':
      lines[i] = line.slice(0, at) + piece + line.slice(at);
      break;
    case 'delete':
      lines[i] = line.slice(0, at) + line.slice(at + 1);
      break;
    case 'indent':
      lines[i] = ` ${line}`;
      break;
    case 'dedent':
      lines[i] = line.replace(/^ /, '');
      break;
    case 'join':
      lines.splice(i, 2, `${line}${lines[i + 1] ?? ''}`);
      break;
    default:
      lines.splice(i, 0, line);
  }
  return lines.join('\n');
}
