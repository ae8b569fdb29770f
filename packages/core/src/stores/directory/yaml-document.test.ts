import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineCounter, parseDocument } from 'yaml';
import { decodeDoubleQuoted, parseYamlDocument } from './yaml-document.js';

/** `yaml`'s own reading of a double-quoted scalar, or undefined when it reports an error. */
function yamlReads(source: string): string | undefined {
  const doc = parseDocument(source);
  if (doc.errors.length) return undefined;
  return doc.toJS() as string;
}

// Pieces that exercise every rule: escapes (good and bad), line breaks (LF, CRLF, lone CR),
// blanks before breaks, escaped breaks, and plain text.
const piece = fc.constantFrom(
  'word',
  ' ',
  '\t',
  '\n',
  '\n  ',
  '\r\n',
  '\r',
  '\n\n',
  ' \n',
  '\\n',
  '\\t',
  '\\\\',
  '\\"',
  '\\/',
  '\\ ',
  '\\0',
  '\\N',
  '\\_',
  '\\L',
  '\\x41',
  '\\u00e9',
  '\\U0001F600',
  '\\U00110000',
  '\\xZZ',
  '\\q',
  '\\\n   ',
  '\\\r\n ',
  'é',
  '😀',
);

describe('decodeDoubleQuoted', () => {
  it('reads every double-quoted scalar as yaml does, or leaves it to yaml where yaml reports an error', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
        const source = `"${pieces.join('')}"`;
        const ours = decodeDoubleQuoted(source);
        const theirs = yamlReads(source);
        if (ours !== undefined) expect(ours).toBe(theirs);
        else expect(theirs === undefined || /\\/.test(source)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('parseYamlDocument', () => {
  const long = 'word '.repeat(30_000).trim();

  it('reads a long double-quoted description like yaml, with the lines of what follows', () => {
    const text = `queue:\n  - id: t1\n    description: "${long} \\u00e9\\n\n      next line"\n    bad: [\n`;
    const ours = parseYamlDocument(text, new LineCounter());
    const theirs = parseDocument(text, { lineCounter: new LineCounter(), prettyErrors: true });
    expect(ours.errors.map((e) => [e.code, e.linePos?.[0].line])).toEqual(
      theirs.errors.map((e) => [e.code, e.linePos?.[0].line]),
    );
    const fixed = text.replace('    bad: [\n', '    after: 1\n');
    const value = parseYamlDocument(fixed, new LineCounter()).toJS();
    expect(value).toEqual(parseDocument(fixed).toJS());
    expect(value.queue[0].description).toBe(`${long} é\n next line`);
  });

  it('leaves tagged or badly escaped long values to yaml', () => {
    for (const text of [`k: !!binary "${long}"\n`, `k: "${long}\\q"\n`, `"${long}": 1\n`]) {
      const ours = parseYamlDocument(text, new LineCounter());
      const theirs = parseDocument(text);
      expect(ours.errors.map((e) => e.code)).toEqual(theirs.errors.map((e) => e.code));
      if (!theirs.errors.length) expect(ours.toJS()).toEqual(theirs.toJS());
    }
  });
});
