import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidOptionsError, InvalidSprintError } from '../../model/errors.js';
import { appendDeferredItems, setFrontMatter, tickSteps } from './document-patches.js';
import { parseSprintDocument } from './sprint-document.js';

const seed = readFileSync(
  new URL('./fixtures/sprint-08_core-sprint-runner.md', import.meta.url),
  'utf8',
);
const crlfSeed = seed.replace(/\n/g, '\r\n');

/** Offsets where two equally long texts differ. */
function byteDiff(a: string, b: string): number[] {
  expect(b.length).toBe(a.length);
  const at: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) at.push(i);
  return at;
}

/** Lines that differ, for texts with the same number of lines. */
function lineDiff(a: string, b: string): Array<[number, string, string]> {
  const left = a.split('\n');
  const right = b.split('\n');
  expect(right).toHaveLength(left.length);
  return left.flatMap((line, i) =>
    line === right[i] ? [] : [[i + 1, line, right[i]!] as [number, string, string]],
  );
}

/** The part of the seed from `## Overview` up to `## Goal`, and the acceptance criteria. */
function untouchedParts(text: string): string[] {
  const crlf = text.includes('\r\n');
  const t = crlf ? text.replace(/\r\n/g, '\n') : text;
  return [
    t.slice(t.indexOf('## Overview'), t.indexOf('## Goal')),
    t.slice(t.indexOf('## Acceptance Criteria'), t.indexOf('## Dependencies')),
  ];
}

describe('tickSteps', () => {
  it('changes exactly one byte to tick one step', () => {
    const id = 'p2-implement-run-start-sprint-iterate-steps';
    const ticked = tickSteps(seed, [id]);
    const diff = byteDiff(seed, ticked);
    expect(diff).toHaveLength(1);
    expect(seed[diff[0]!]).toBe(' ');
    expect(ticked[diff[0]!]).toBe('x');
    expect(lineDiff(seed, ticked)).toEqual([
      [
        65,
        '- [ ] Implement run() — start sprint, iterate steps, dispatch to agents, advance',
        '- [x] Implement run() — start sprint, iterate steps, dispatch to agents, advance',
      ],
    ]);
    const step = parseSprintDocument(ticked, 'x.md').steps.find((s) => s.id === id);
    expect(step?.checked).toBe(true);
    expect(untouchedParts(ticked)).toEqual(untouchedParts(seed));
  });

  it('ticks several steps in a CRLF file and keeps its line endings', () => {
    const ticked = tickSteps(crlfSeed, ['p1-review-requirements', 'p3-quality-review']);
    expect(byteDiff(crlfSeed, ticked)).toHaveLength(2);
    expect(ticked.replace(/\r\n/g, '')).not.toContain('\n');
    expect(ticked.split('\r\n').length).toBe(crlfSeed.split('\r\n').length);
    const checked = parseSprintDocument(ticked, 'x.md')
      .steps.filter((s) => s.checked)
      .map((s) => s.id);
    expect(checked).toEqual(['p1-review-requirements', 'p3-quality-review']);
  });

  it('leaves ticked steps and unknown ids alone', () => {
    const once = tickSteps(seed, ['p1-review-requirements']);
    expect(tickSteps(once, ['p1-review-requirements', 'no-such-step'])).toBe(once);
    expect(tickSteps(seed, [])).toBe(seed);
  });

  it('ticks a step by its explicit id, metadata comment untouched', () => {
    const text = [
      '---',
      'status: todo',
      '---',
      '## Tasks',
      '### Phase 1: Testing',
      '- [ ] Write tests <!-- type: test; id: write-tests -->',
      '* [ ] Other',
      '',
    ].join('\n');
    expect(tickSteps(text, ['write-tests', 'p1-other'])).toBe(
      text.replace('- [ ] Write', '- [x] Write').replace('* [ ] Other', '* [x] Other'),
    );
  });

  it('does not tick acceptance criteria that share a step text', () => {
    const text = seed.replace('- [ ] Failed step blocks the sprint', '- [ ] Review requirements');
    const ticked = tickSteps(text, ['p1-review-requirements']);
    expect(byteDiff(text, ticked)).toHaveLength(1);
    expect(ticked).toContain('## Acceptance Criteria');
    expect(ticked.slice(ticked.indexOf('## Acceptance Criteria'))).toContain(
      '- [ ] Review requirements',
    );
  });

  it('refuses to guess between steps with the same explicit id', () => {
    const text = '## Tasks\n### Phase 1: X\n- [ ] a <!-- id: s -->\n- [ ] b <!-- id: s -->\n';
    expect(() => tickSteps(text, ['s'])).toThrow(InvalidSprintError);
  });
});

describe('setFrontMatter', () => {
  it('changes only the lines of the keys it sets', () => {
    const patched = setFrontMatter(seed, {
      status: 'in_progress',
      started: '2026-03-01T09:30:00.000Z',
      hours: 1.23456,
    });
    expect(lineDiff(seed, patched)).toEqual([
      [6, 'status: planning', 'status: in_progress'],
      [8, 'started: null', 'started: 2026-03-01T09:30:00.000Z'],
      [10, 'hours: null', 'hours: 1.23'],
    ]);
    expect(parseSprintDocument(patched, 'x.md').frontMatter).toMatchObject({
      status: 'in_progress',
      started: '2026-03-01T09:30:00.000Z',
      completed: null,
      hours: 1.23,
    });
    expect(untouchedParts(patched)).toEqual(untouchedParts(seed));
  });

  it('writes null and leaves keys given as undefined alone', () => {
    const started = setFrontMatter(seed, { started: '2026-03-01T09:30:00Z', hours: 2 });
    const reset = setFrontMatter(started, { started: null, hours: null, status: undefined });
    expect(reset).toBe(seed);
  });

  it('keeps comments, quoting and key order', () => {
    const text = [
      '---',
      '# sprint metadata',
      'title: "Quoted"   # the title',
      'status: "todo" # column',
      'started:',
      'hours: 3 # estimate',
      'nested:',
      '  status: keep',
      '---',
      'body',
    ].join('\n');
    const patched = setFrontMatter(text, {
      status: 'done',
      started: '2026-03-01T09:30:00Z',
      hours: 4.5,
    });
    expect(lineDiff(text, patched)).toEqual([
      [4, 'status: "todo" # column', 'status: "done" # column'],
      [5, 'started:', 'started: 2026-03-01T09:30:00Z'],
      [6, 'hours: 3 # estimate', 'hours: 4.5 # estimate'],
    ]);
  });

  it('adds a missing key just before the closing line', () => {
    const text = '---\ntitle: x\nstatus: todo\n---\n\n# x\n';
    const patched = setFrontMatter(text, { completed: '2026-03-02T00:00:00Z', hours: 0.005 });
    expect(patched).toBe(
      '---\ntitle: x\nstatus: todo\ncompleted: 2026-03-02T00:00:00Z\nhours: 0.01\n---\n\n# x\n',
    );
    expect(setFrontMatter('---\n---\nbody', { status: 'todo' })).toBe(
      '---\nstatus: todo\n---\nbody',
    );
  });

  it('keeps CRLF line endings, added keys included', () => {
    const patched = setFrontMatter(crlfSeed.replace('hours: null\r\n', ''), {
      status: 'done',
      hours: 3,
    });
    expect(patched.replace(/\r\n/g, '')).not.toContain('\n');
    expect(patched).toContain('\r\nstatus: done\r\n');
    expect(patched).toContain('\r\ncompleted: null\r\nhours: 3\r\n---\r\n');
  });

  it('quotes a value YAML would misread', () => {
    const patched = setFrontMatter('---\nstatus: todo\n---\n', { status: '123' });
    expect(patched).toBe('---\nstatus: "123"\n---\n');
    const twoLines = setFrontMatter('---\nstatus: todo\n---\n', { status: 'a\nb' });
    expect(twoLines).toBe('---\nstatus: "a\\nb"\n---\n');
  });

  it('rejects a document without front matter and a hours that is no number', () => {
    expect(() => setFrontMatter('# x\n', { status: 'todo' })).toThrow(InvalidSprintError);
    expect(() => setFrontMatter('---\nstatus: [\n---\n', { status: 'todo' })).toThrow(
      InvalidSprintError,
    );
    expect(() => setFrontMatter(seed, { hours: Number.NaN })).toThrow(InvalidOptionsError);
  });
});

describe('appendDeferredItems', () => {
  it('adds new items at the end of the existing section and skips those already there', () => {
    const patched = appendDeferredItems(seed, [
      'Cost tracking (API tokens per run) → analytics',
      'Retry with backoff',
      'Retry with backoff',
      '  ',
    ]);
    expect(patched).toBe(`${seed}- Retry with backoff\n`);
    expect(parseSprintDocument(patched, 'x.md').deferredItems).toHaveLength(4);
    expect(appendDeferredItems(seed, ['Parallel step execution → future optimization'])).toBe(seed);
  });

  it('adds before the next section when Deferred Items is not the last one', () => {
    const text = '## Deferred Items\n\n- One\n\n## Notes\n\nText\n';
    expect(appendDeferredItems(text, ['Two'])).toBe(
      '## Deferred Items\n\n- One\n- Two\n\n## Notes\n\nText\n',
    );
    expect(appendDeferredItems('## Deferred Items\n## Notes\n', ['Two'])).toBe(
      '## Deferred Items\n\n- Two\n\n## Notes\n',
    );
  });

  it('creates the section at the end of the file when it is missing', () => {
    expect(appendDeferredItems('# x\n\n## Tasks\n', ['a', 'b'])).toBe(
      '# x\n\n## Tasks\n\n## Deferred Items\n\n- a\n- b\n',
    );
    expect(appendDeferredItems('# x', ['a'])).toBe('# x\n\n## Deferred Items\n\n- a\n');
    expect(appendDeferredItems('# x\n', [])).toBe('# x\n');
    expect(appendDeferredItems('# x\n', ['- already a bullet'])).toBe(
      '# x\n\n## Deferred Items\n\n- already a bullet\n',
    );
  });

  it('keeps CRLF line endings and ends a last line that had none', () => {
    const text = crlfSeed.replace(/\r\n$/, '');
    const patched = appendDeferredItems(text, ['Multi\r\nline item']);
    expect(patched).toBe(`${text}\r\n- Multi line item\r\n`);
  });

  it('leaves the rest of the document untouched', () => {
    const patched = appendDeferredItems(seed, ['New thing']);
    expect(patched.startsWith(seed)).toBe(true);
    expect(untouchedParts(patched)).toEqual(untouchedParts(seed));
  });
});
