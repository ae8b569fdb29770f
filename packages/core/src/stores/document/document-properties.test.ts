import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appendDeferredItems, setFrontMatter, tickSteps } from './document-patches.js';
import { parseSprintDocument } from './sprint-document.js';

// Property tests of the Markdown document's patches: whatever subset of steps is
// ticked and whatever front matter is set, only the bytes that must change do,
// and the document reads back with exactly that change. Failures print a seed
// and a shrunk counterexample fast-check can replay.

const fixture = readFileSync(
  new URL('./fixtures/sprint-08_core-sprint-runner.md', import.meta.url),
  'utf8',
);
const texts = { lf: fixture, crlf: fixture.replace(/\n/g, '\r\n') };
const steps = parseSprintDocument(fixture, 'x.md').steps;

/** Offsets where two equally long texts differ. */
function byteDiff(a: string, b: string): number[] {
  expect(b.length).toBe(a.length);
  const at: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) at.push(i);
  return at;
}

const eol = fc.constantFrom<keyof typeof texts>('lf', 'crlf');
const someSteps = fc.subarray(steps.map((s) => s.id));
const isoTime = fc
  .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
  .map((d) => d.toISOString());
const frontMatter = fc.record(
  {
    status: fc.constantFrom(
      'backlog',
      'todo',
      'planning',
      'in_progress',
      'review',
      'done',
      'blocked',
    ),
    started: fc.option(isoTime, { nil: null }),
    completed: fc.option(isoTime, { nil: null }),
    hours: fc.option(
      fc.integer({ min: 0, max: 100_000 }).map((n) => n / 100),
      { nil: null },
    ),
  },
  { requiredKeys: [] },
);

describe('Markdown document patches (properties)', () => {
  it('ticking any set of steps changes one byte per unticked step, from " " to "x", and nothing else', () => {
    fc.assert(
      fc.property(eol, someSteps, (kind, ids) => {
        const text = texts[kind];
        const ticked = tickSteps(text, ids);
        const diff = byteDiff(text, ticked);
        const unticked = steps.filter((s) => ids.includes(s.id) && !s.checked);
        expect(diff).toHaveLength(unticked.length);
        for (const at of diff) {
          expect(text[at]).toBe(' ');
          expect(ticked[at]).toBe('x');
        }
        const back = parseSprintDocument(ticked, 'x.md').steps;
        for (const s of back)
          expect(s.checked).toBe(ids.includes(s.id) || steps.find((o) => o.id === s.id)!.checked);
        // Ticking is idempotent.
        expect(tickSteps(ticked, ids)).toBe(ticked);
      }),
    );
  });

  it("setting front matter changes only those keys' lines and reads back as set; undoing restores every byte", () => {
    fc.assert(
      fc.property(eol, frontMatter, (kind, values) => {
        const text = texts[kind];
        const patched = setFrontMatter(text, values);
        const nl = kind === 'crlf' ? '\r\n' : '\n';
        const before = text.split(nl);
        const after = patched.split(nl);
        expect(after).toHaveLength(before.length);
        const keys = Object.keys(values);
        before.forEach((line, i) => {
          if (after[i] !== line) expect(keys).toContain(line.slice(0, line.indexOf(':')));
        });
        const read = parseSprintDocument(patched, 'x.md').frontMatter;
        for (const [k, v] of Object.entries(values)) expect(read[k]).toEqual(v);
        // The fixture's own values put back: the original bytes, all of them.
        const original = parseSprintDocument(text, 'x.md').frontMatter;
        const undo = Object.fromEntries(keys.map((k) => [k, original[k]]));
        expect(setFrontMatter(patched, undo)).toBe(text);
      }),
    );
  });

  // Distinct items: an item already listed is not listed twice (appendDeferredItems skips it,
  // ignoring case and spacing), and a leading bullet marker or checkbox is the list's, not the
  // item's (both pinned in document-patches.test.ts): generated items have neither.
  it('appending deferred items keeps every byte before them and reads them back in order', () => {
    const item = fc
      .string({ minLength: 1, maxLength: 40 })
      .map((s) => s.replace(/\s+/g, ' ').trim())
      .filter((s) => s.length > 0 && !/^[-*+] /.test(s) && !/^\[[ xX]\] /.test(s));
    const distinct = { selector: (s: string) => s.toLowerCase() };
    fc.assert(
      fc.property(
        eol,
        fc.uniqueArray(item, { minLength: 1, maxLength: 5, ...distinct }),
        (kind, items) => {
          const text = texts[kind];
          const out = appendDeferredItems(text, items);
          const read = parseSprintDocument(out, 'x.md').deferredItems;
          const had = parseSprintDocument(text, 'x.md').deferredItems;
          expect(read).toEqual([...had, ...items]);
          // Whatever is not in the new lines is the old text, in order.
          let pos = 0;
          for (const ch of text) {
            pos = out.indexOf(ch, pos);
            expect(pos).toBeGreaterThanOrEqual(0);
            pos += ch.length;
          }
        },
      ),
    );
  });
});
