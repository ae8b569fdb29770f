import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidSprintError, type Issue } from '../../model/errors.js';
import { TaskSchema } from '../../model/sprint.js';
import { tickSteps } from './document-patches.js';
import { documentTasks, parseSprintDocument } from './sprint-document.js';

const FILE = 'kanban/1-todo/sprint-08_core-sprint-runner.md';
const seed = readFileSync(
  new URL('./fixtures/sprint-08_core-sprint-runner.md', import.meta.url),
  'utf8',
);

/** A small document: front matter, then the given Tasks section body. */
function doc(tasks: string, frontMatter = 'title: Small\nstatus: todo'): string {
  return `---\n${frontMatter}\n---\n\n# Small\n\n## Tasks\n\n${tasks}\n`;
}

function issuesOf(text: string, file = FILE): Issue[] {
  try {
    parseSprintDocument(text, file);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidSprintError);
    return (error as InvalidSprintError).issues;
  }
  throw new Error('expected the document to be rejected');
}

describe('parseSprintDocument', () => {
  it('reads the seed document as 8 steps in 3 phases', () => {
    const parsed = parseSprintDocument(seed, FILE);
    expect(parsed.steps.map((s) => [s.id, s.phase, s.phaseName, s.type, s.line])).toEqual([
      ['p1-review-requirements', 1, 'Planning', 'planning', 61],
      ['p2-create-sprintrunner-in-src-execution-run', 2, 'Implementation', 'implement', 64],
      ['p2-implement-run-start-sprint-iterate-steps', 2, 'Implementation', 'implement', 65],
      ['p2-implement-progress-callbacks-on-progress', 2, 'Implementation', 'implement', 66],
      ['p2-aggregate-deferred-items-from-all-agentr', 2, 'Implementation', 'implement', 67],
      ['p2-handle-agent-failures-stop-run-set-sprin', 2, 'Implementation', 'implement', 68],
      ['p3-write-12-tests-using-mock-agents-and-inm', 3, 'Validation', 'validate', 71],
      ['p3-quality-review', 3, 'Validation', 'validate', 72],
    ]);
    expect(parsed.steps.every((s) => !s.checked)).toBe(true);
    expect(parsed.steps[2]!.text).toBe(
      'Implement run() — start sprint, iterate steps, dispatch to agents, advance',
    );
    const lines = seed.split('\n');
    for (const step of parsed.steps) expect(lines[step.line - 1]).toBe(`- [ ] ${step.text}`);
  });

  it('reads the front matter, title, goal and deferred items of the seed', () => {
    const parsed = parseSprintDocument(seed, FILE);
    expect(parsed.frontMatter).toEqual({
      sprint: 8,
      title: 'Core Sprint Runner',
      type: 'backend',
      epic: 3,
      status: 'planning',
      created: '2026-02-15T00:00:00Z',
      started: null,
      completed: null,
      hours: null,
    });
    expect(parsed.title).toBe('Core Sprint Runner');
    expect(parsed.goal).toBe(
      'Build the SprintRunner class that orchestrates end-to-end sprint execution.',
    );
    expect(parsed.deferredItems).toEqual([
      'Parallel step execution → future optimization',
      'Cost tracking (API tokens per run) → analytics',
      'Real-time progress streaming → UI integration',
    ]);
  });

  it('does not take acceptance criteria or checkboxes outside a phase for steps', () => {
    const text = doc(
      [
        '- [ ] Loose box before any phase',
        '',
        '### Phase 1: Implementation',
        '- [ ] Real step',
        '',
        '### Notes',
        '- [ ] Box under a non-phase heading',
        '',
        '## Acceptance Criteria',
        '',
        '- [ ] Criterion',
      ].join('\n'),
    );
    expect(parseSprintDocument(text, FILE).steps.map((s) => s.text)).toEqual(['Real step']);
  });

  it('ignores checkboxes and headings inside fenced code blocks', () => {
    const text = [
      '---',
      'status: todo',
      '---',
      '',
      '```bash',
      '# not a title',
      '```',
      '',
      '# Real Title',
      '',
      '## Tasks',
      '',
      '### Phase 1: Implementation',
      '- [ ] Real step',
      '~~~md',
      '- [ ] Example in a fence',
      '## Not a section',
      '~~~',
      '- [ ] Second step',
      '',
    ].join('\n');
    const parsed = parseSprintDocument(text, FILE);
    expect(parsed.title).toBe('Real Title');
    expect(parsed.steps.map((s) => s.text)).toEqual(['Real step', 'Second step']);
  });

  it('includes checked boxes as steps already done', () => {
    const text = doc('### Phase 1: Planning\n- [x] Done already\n- [X] Also done\n- [ ] To do');
    expect(parseSprintDocument(text, FILE).steps.map((s) => [s.text, s.checked])).toEqual([
      ['Done already', true],
      ['Also done', true],
      ['To do', false],
    ]);
  });

  it('types steps by their phase name', () => {
    const text = doc(
      [
        '### Phase 1: Planning',
        '- [ ] a',
        '### Phase 2: Implementation',
        '- [ ] b',
        '### Phase 3: Validation',
        '- [ ] c',
        '### Phase 4: Testing',
        '- [ ] d',
        '### Phase 5: Test',
        '- [ ] e',
        '### Phase 6: Review',
        '- [ ] f',
        '### Phase 7: Data Migration',
        '- [ ] g',
      ].join('\n'),
    );
    expect(parseSprintDocument(text, FILE).steps.map((s) => s.type)).toEqual([
      'planning',
      'implement',
      'validate',
      'test',
      'test',
      'review',
      'data-migration',
    ]);
  });

  it('reads step metadata from a trailing HTML comment', () => {
    const text = doc(
      [
        '### Phase 1: Implementation',
        '- [ ] Build it <!-- id: build -->',
        '- [ ] Write tests <!-- type: test; id: write-tests; verify: pnpm build; pnpm test; depends-on: build -->',
        '- [ ] Ship <!-- depends-on: build, write-tests; owner: sam -->',
        '- [ ] Note only <!-- ask Sam first -->',
        '- [ ] Keep <!-- inline --> text <!-- id: keep -->',
      ].join('\n'),
    );
    const steps = parseSprintDocument(text, FILE).steps;
    expect(steps[0]).toMatchObject({ id: 'build', type: 'implement', text: 'Build it' });
    expect(steps[1]).toMatchObject({
      id: 'write-tests',
      type: 'test',
      text: 'Write tests',
      verify: 'pnpm build; pnpm test',
      dependsOn: ['build'],
    });
    expect(steps[2]).toMatchObject({
      id: 'p1-ship',
      dependsOn: ['build', 'write-tests'],
      metadata: { owner: 'sam' },
    });
    expect(steps[3]).toMatchObject({ id: 'p1-note-only', text: 'Note only' });
    expect(steps[3]!.metadata).toBeUndefined();
    expect(steps[4]).toMatchObject({ id: 'keep', text: 'Keep <!-- inline --> text' });
  });

  it('numbers repeated texts in order and never takes an explicit id', () => {
    const text = doc(
      [
        '### Phase 1: Implementation',
        '- [ ] Fix lint',
        '- [ ] Fix lint',
        '- [ ] Other <!-- id: p1-fix-lint-3 -->',
        '- [ ] Fix lint',
        '### Phase 2: Validation',
        '- [ ] Fix lint',
      ].join('\n'),
    );
    expect(parseSprintDocument(text, FILE).steps.map((s) => s.id)).toEqual([
      'p1-fix-lint',
      'p1-fix-lint-2',
      'p1-fix-lint-3',
      'p1-fix-lint-4',
      'p2-fix-lint',
    ]);
  });

  it('keeps step ids when other parts of the file change', () => {
    const before = parseSprintDocument(seed, FILE).steps.map((s) => s.id);
    const edited = seed
      .replace('Build the SprintRunner class', 'Build the new SprintRunner class\n\nMore words.')
      .replace('### Phase 3: Validation\n', '### Phase 3: Validation\n\nSome notes.\n\n')
      .replace('- [ ] Review requirements', '- [ ] Review requirements\n- [ ] Read the old code')
      .replace('## Deferred Items', '## Deferred Items\n\n- Something new')
      .replace('status: planning', 'status: in_progress');
    const ticked = tickSteps(edited, ['p2-create-sprintrunner-in-src-execution-run']);
    const after = parseSprintDocument(ticked.replace(/\n/g, '\r\n'), FILE).steps.map((s) => s.id);
    expect(after).toEqual([before[0], 'p1-read-the-old-code', ...before.slice(1)]);
  });

  it('reads a CRLF document like its LF twin', () => {
    const lf = parseSprintDocument(seed, FILE);
    const crlf = parseSprintDocument(seed.replace(/\n/g, '\r\n'), FILE);
    expect(crlf).toEqual(lf);
  });

  it('takes the title from the first heading, then the file name', () => {
    const noTitle = doc('### Phase 1: Implementation\n- [ ] a', 'status: todo');
    expect(parseSprintDocument(noTitle, FILE).title).toBe('Small');
    const noHeading = noTitle.replace('# Small\n', '');
    expect(parseSprintDocument(noHeading, FILE).title).toBe('sprint-08_core-sprint-runner');
  });

  it('accepts an absent or empty status and leaves the goal out when there is none', () => {
    const text = doc('### Phase 1: Implementation\n- [ ] a', 'title: T\nstatus:');
    const parsed = parseSprintDocument(text, FILE);
    expect(parsed.frontMatter.status).toBeNull();
    expect(parsed.goal).toBeUndefined();
    expect(parsed.deferredItems).toEqual([]);
  });
});

describe('parseSprintDocument errors', () => {
  const steps = '### Phase 1: Implementation\n- [ ] a';

  function expectOne(text: string, expected: Partial<Issue>): Issue {
    const issues = issuesOf(text);
    expect(issues).toHaveLength(1);
    const issue = issues[0]!;
    expect(issue).toMatchObject({ file: FILE, ...expected });
    expect(issue.fix).toEqual(expect.any(String));
    expect(issue.line).toEqual(expect.any(Number));
    return issue;
  }

  it('rejects a document without front matter', () => {
    const issue = expectOne(`# Title\n\n## Tasks\n\n${steps}\n`, {
      line: 1,
      field: 'front matter',
    });
    expect(issue.fix).toContain('---');
  });

  it('says to remove blank lines before the front matter', () => {
    const issue = expectOne(`\n\n${doc(steps)}`, { line: 1, field: 'front matter' });
    expect(issue.fix).toBe('remove the blank lines before the "---" on line 3');
  });

  it('rejects front matter that is never closed', () => {
    expectOne(`---\ntitle: x\n\n## Tasks\n\n${steps}\n`, { line: 1, field: 'front matter' });
  });

  it('rejects malformed YAML and points at its line', () => {
    const issue = expectOne(doc(steps, 'title: x\nstatus: [todo\nhours: 1'), {
      field: 'front matter',
    });
    expect(issue.line).toBeGreaterThanOrEqual(3);
    expect(issue.message).toContain('not valid YAML');
  });

  it('rejects front matter that is not a mapping', () => {
    expectOne(doc(steps, '- a\n- b'), { line: 2, field: 'front matter' });
  });

  it('rejects a status outside the format and suggests the one meant', () => {
    const issue = expectOne(doc(steps, 'title: x\nepic: 1\nstatus: In Progress'), {
      line: 4,
      field: 'status',
    });
    expect(issue.fix).toBe('write "status: in_progress"');
    const other = expectOne(doc(steps, 'status: shipped'), { line: 2, field: 'status' });
    expect(other.fix).toContain('backlog, todo, planning');
  });

  it('rejects a document without a Tasks section', () => {
    const issue = expectOne('---\ntitle: x\n---\n\n# x\n', { field: 'Tasks' });
    expect(issue.fix).toContain('## Tasks');
  });

  it('rejects a Tasks section without phase headings', () => {
    const issue = expectOne(doc('- [ ] a\n- [ ] b'), { line: 8, field: 'Tasks' });
    expect(issue.fix).toContain('### Phase 1: Implementation');
  });

  it('rejects phases without checkboxes', () => {
    expectOne(doc('### Phase 1: Planning\n\nNothing yet.'), { line: 8, field: 'Tasks' });
  });

  it('rejects duplicate explicit ids and names both lines', () => {
    const issue = expectOne(
      doc('### Phase 1: Implementation\n- [ ] a <!-- id: one -->\n- [ ] b <!-- id: one -->'),
      { line: 12, field: 'id' },
    );
    expect(issue.message).toContain('line 11');
  });

  it('rejects malformed ids, empty types and unknown dependencies', () => {
    const issues = issuesOf(
      doc(
        [
          '### Phase 1: Implementation',
          '- [ ] a <!-- id: -bad -->',
          '- [ ] b <!-- type: -->',
          '- [ ] c <!-- depends-on: nowhere -->',
        ].join('\n'),
      ),
    );
    expect(issues.map((i) => [i.line, i.field])).toEqual([
      [11, 'id'],
      [12, 'type'],
      [13, 'depends-on'],
    ]);
    for (const issue of issues)
      expect(issue).toMatchObject({ file: FILE, fix: expect.any(String) });
  });

  it('reports every problem at once', () => {
    const issues = issuesOf('---\nstatus: nope\n---\n\n# x\n');
    expect(issues.map((i) => i.field)).toEqual(['status', 'Tasks']);
    try {
      parseSprintDocument('---\nstatus: nope\n---\n', FILE);
    } catch (error) {
      expect((error as Error).message).toContain(`${FILE}:2 status`);
    }
  });
});

describe('documentTasks', () => {
  it('makes one valid task per step', () => {
    const text = doc(
      [
        '### Phase 1: Implementation',
        '- [x] Build it <!-- id: build; verify: pnpm build; owner: sam -->',
        '- [ ] Test it <!-- type: test; depends-on: build -->',
      ].join('\n'),
    );
    const tasks = documentTasks(parseSprintDocument(text, FILE));
    expect(tasks).toEqual([
      {
        id: 'build',
        type: 'implement',
        title: 'Build it',
        priority: 'medium',
        dependsOn: [],
        verify: 'pnpm build',
        fields: { owner: 'sam', phase: 1, 'phase-name': 'Implementation', text: 'Build it' },
      },
      {
        id: 'p1-test-it',
        type: 'test',
        title: 'Test it',
        priority: 'medium',
        dependsOn: ['build'],
        fields: { phase: 1, 'phase-name': 'Implementation', text: 'Test it' },
      },
    ]);
    for (const task of tasks) expect(TaskSchema.parse(task)).toEqual(task);
  });

  it('turns the seed into 8 tasks', () => {
    const tasks = documentTasks(parseSprintDocument(seed, FILE));
    expect(tasks).toHaveLength(8);
    expect(tasks[0]).toMatchObject({
      id: 'p1-review-requirements',
      type: 'planning',
      title: 'Review requirements',
      fields: { phase: 1, 'phase-name': 'Planning', text: 'Review requirements' },
    });
  });
});
