import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidSprintError } from '../model/errors.js';
import { readYamlSource } from '../stores/directory/yaml-source.js';
import { M42WorkflowNotFoundError } from './import-error.js';
import { convertM42Sprint, type M42ConvertOptions } from './m42-sprint.js';
import type { M42Workflow } from './m42-workflow-issues.js';

const FIXTURES = join(import.meta.dirname, 'fixtures/m42');
const yaml = (text: string, file: string) => {
  const source = readYamlSource(text, file);
  return { value: source.value, locate: source.locate };
};
const fixture = (path: string) =>
  yaml(readFileSync(join(FIXTURES, path), 'utf8'), join(FIXTURES, path));

/** The real m42 workflows of the fixtures (`.claude/workflows/` of m42-claude-plugins). */
function realWorkflows(): Map<string, M42Workflow> {
  const dir = join(FIXTURES, 'workflows');
  return new Map(
    readdirSync(dir).map((f) => {
      const { value, locate } = fixture(`workflows/${f}`);
      return [f.replace(/\.yaml$/, ''), { file: join(dir, f), doc: value, locate }];
    }),
  );
}

/** Workflows written in the test, as files of a `.claude/workflows/` folder would read. */
function workflowsOf(files: Record<string, string>): Map<string, M42Workflow> {
  return new Map(
    Object.entries(files).map(([name, text]) => {
      const file = `/p/.claude/workflows/${name}.yaml`;
      const { value, locate } = yaml(text, file);
      return [name, { file, doc: value, locate }];
    }),
  );
}

const options = (
  sprintLocate: M42ConvertOptions['locateSprint'],
  workflows: Map<string, M42Workflow>,
): M42ConvertOptions => ({
  dirName: 'x',
  sprintFile: 'SPRINT.yaml',
  progressFile: 'PROGRESS.yaml',
  locateSprint: sprintLocate,
  workflows,
  workflowsDir: '/p/.claude/workflows',
});

/** The tasks without what only a run records (finished, when). */
const pending = (c: ReturnType<typeof convertM42Sprint>) => c.tasks.map((t) => t.task);

describe('m42 sprints without a compiled PROGRESS.yaml: compiled from their workflows as m42 does', () => {
  it('gives the tasks of the PROGRESS.yaml m42 compiled for the same sprint (real sprint, real workflow)', () => {
    const sprint = fixture('2026-02-05_claudemd-commands/SPRINT.yaml');
    const m42 = fixture('2026-02-05_claudemd-commands/PROGRESS.yaml').value;
    const here = convertM42Sprint(sprint.value, undefined, options(sprint.locate, realWorkflows()));
    expect(here.fromProgress).toBe(false);
    expect(pending(here)).toEqual(
      pending(convertM42Sprint(sprint.value, m42, options(sprint.locate, new Map()))),
    );
    expect(here.tasks.every((t) => !t.done)).toBe(true);
  });

  it('a step without an id is <type>-<index> (real sprint, real workflow)', () => {
    const sprint = fixture('2026-01-29_agent-monitor-panel/SPRINT.yaml');
    const c = convertM42Sprint(sprint.value, undefined, options(sprint.locate, realWorkflows()));
    const ids = c.tasks.map((t) => t.task.id);
    expect(ids.slice(0, 3)).toEqual(['preflight', 'step-0', 'documentation']);
    expect(ids).toHaveLength(8);
    expect(c.tasks[1]!.task.description).toContain('agent monitoring panel');
  });

  it('expands each step through the phase workflow: step x phase in order, placeholders filled, like m42 compiled it', () => {
    const sprint = fixture('2026-02-01_sprint-creator-subagent/SPRINT.yaml');
    const doc = { ...(sprint.value as object), workflow: 'sprint-default' };
    const m42 = fixture(
      'compiled-by-m42/2026-02-01_sprint-creator-subagent.sprint-default.PROGRESS.yaml',
    ).value;
    const here = convertM42Sprint(doc, undefined, options(sprint.locate, realWorkflows()));
    expect(pending(here)).toEqual(
      pending(convertM42Sprint(doc, m42, options(sprint.locate, new Map()))),
    );
    expect(here.tasks.map((t) => t.task.id)).toEqual([
      'prepare',
      'creating-sprints-skill-planning',
      'creating-sprints-skill-implement',
      'creating-sprints-skill-test',
      'creating-sprints-skill-document',
      'sprint-creator-subagent-planning',
      'sprint-creator-subagent-implement',
      'sprint-creator-subagent-test',
      'sprint-creator-subagent-document',
      'qa',
      'deploy',
    ]);
    expect(here.tasks[5]!.task.dependsOn).toEqual(['creating-sprints-skill-document']);
    const planning = here.tasks[1]!.task.description!;
    expect(planning).toContain('Create a skill for the m42-sprint plugin');
    expect(planning).not.toContain('{{');
    expect(here.tasks[10]!.task.description).toContain(
      'git push -u origin sprint/2026-02-01_sprint-creator-subagent',
    );
  });

  it('a workflow of one for-each phase: one task per step, the step workflow wrapping its prompt', () => {
    const sprint = fixture('2026-02-01_sprint-creator-subagent/SPRINT.yaml');
    const doc = { ...(sprint.value as object), workflow: 'flat-foreach' };
    const c = convertM42Sprint(doc, undefined, options(sprint.locate, realWorkflows()));
    expect(c.tasks.map((t) => t.task.id)).toEqual([
      'creating-sprints-skill',
      'sprint-creator-subagent',
    ]);
    expect(c.tasks[0]!.task.description).toMatch(
      /^Execute the following task:\n\n\/m42-meta-toolkit:create-skill\n/,
    );
  });

  it('keeps models (item, phase, sprint, workflow), gates as verify, workflow references inlined', () => {
    // The expected values are what m42's compiler (plugins/m42-sprint/compiler at dfb772d) wrote for these files.
    const sprint = yaml(
      [
        'workflow: main',
        'name: Syn Sprint',
        'sprint-id: syn-1',
        'model: sonnet',
        'collections:',
        '  features:',
        '    - id: login',
        '      prompt: Add login',
        '      owner: ann',
        '    - prompt: Add logout',
        '      model: haiku',
        '    - id: solo-one',
        '      prompt: Solo work',
        '      workflow: solo',
      ].join('\n'),
      'SPRINT.yaml',
    );
    const workflows = workflowsOf({
      main: `name: Main
model: haiku
phases:
  - id: prep
    prompt: "Prepare {{sprint.name}} ({{sprint.id}}) in {{phase.id}}/{{phase.index}}"
    gate: { script: test -f READY, on-fail: { prompt: make it ready } }
  - id: build
    for-each: feature
    collection: features
    workflow: tdd
    gate: { script: npm test, on-fail: { prompt: fix tests } }
  - id: shared
    workflow: wrap
  - id: close
    prompt: Close
    model: opus
`,
      tdd: `name: TDD
model: opus
phases:
  - id: red
    prompt: "Tests for {{feature.id}} #{{item.index}}: {{item.prompt}} ({{item.owner}}{{item.missing}})"
  - id: green
    model: sonnet
    prompt: "Pass {{step.id}} {{feature.prompt}}"
    gate: { script: npm run check, on-fail: { prompt: fix, max-retries: 1 } }
`,
      solo: `name: Solo
phases:
  - id: only
  - id: second
    prompt: "Second {{item.id}}"
`,
      wrap: `name: Wrap
phases:
  - id: lint
    prompt: "Lint {{phase.id}} {{phase.index}}"
    model: sonnet
    gate: { script: npm run lint, on-fail: { prompt: fix } }
  - id: inner
    workflow: inner
`,
      inner: `name: Inner
phases:
  - id: docs
    prompt: "Docs {{phase.id}} {{phase.index}}"
  - id: each
    for-each: feature
    collection: features
`,
    });
    const c = convertM42Sprint(sprint.value, undefined, options(sprint.locate, workflows));
    expect(
      c.tasks.map(({ task }) => [task.id, task.description, task.fields.model, task.verify]),
    ).toEqual([
      ['prep', 'Prepare Syn Sprint (syn-1) in prep/0', 'sonnet', 'test -f READY'],
      ['login-red', 'Tests for login #0: Add login (ann)', 'sonnet', undefined],
      ['login-green', 'Pass {{step.id}} Add login', 'sonnet', 'npm run check'],
      ['feature-1-red', 'Tests for feature-1 #1: Add logout ()', 'haiku', undefined],
      ['feature-1-green', 'Pass {{step.id}} Add logout', 'haiku', 'npm run check'],
      ['solo-one-only', 'Execute phase: only', 'sonnet', undefined],
      // The for-each phase's gate runs after all its steps: on its last task.
      ['solo-one-second', 'Second solo-one', 'sonnet', 'npm test'],
      // m42 keeps no gate on the phases of a referenced workflow, nor its for-each phases.
      ['shared-lint', 'Lint shared-lint 0', 'sonnet', undefined],
      ['shared-inner-docs', 'Docs shared-inner-docs 0', 'sonnet', undefined],
      ['close', 'Close', 'opus', undefined],
    ]);
  });

  it('a step whose phase already has a gate gets both scripts, each must pass', () => {
    const workflows = workflowsOf({
      main: `name: M
phases:
  - id: dev
    for-each: step
    workflow: one
    gate: { script: npm test, on-fail: { prompt: fix } }
`,
      one: `name: One
phases:
  - id: go
    prompt: "{{step.prompt}}"
    gate: { script: npm run lint, on-fail: { prompt: fix } }
`,
    });
    const sprint = { workflow: 'main', collections: { step: [{ id: 'a', prompt: 'A' }] } };
    const [task] = pending(convertM42Sprint(sprint, undefined, options(undefined, workflows)));
    expect(task).toMatchObject({
      id: 'a',
      description: 'A',
      verify: '(\nnpm run lint\n) && (\nnpm test\n)',
    });
  });
});

describe("m42's parallel: and break: phases", () => {
  const sprint = fixture('2026-02-01_sprint-creator-subagent/SPRINT.yaml');
  /** The fixture sprint with another workflow: compiled here, and as m42's compiler wrote it. */
  const both = (workflow: string) => {
    const doc = { ...(sprint.value as object), workflow };
    const m42 = fixture(
      `compiled-by-m42/2026-02-01_sprint-creator-subagent.${workflow}.PROGRESS.yaml`,
    ).value;
    return {
      here: convertM42Sprint(doc, undefined, options(sprint.locate, realWorkflows())),
      m42: convertM42Sprint(doc, m42, options(sprint.locate, new Map())),
    };
  };
  const deps = (c: ReturnType<typeof convertM42Sprint>) =>
    Object.fromEntries(c.tasks.map((t) => [t.task.id, t.task.dependsOn]));

  it('a parallel: phase waits for the task before it, and nothing waits for it until wait-for-parallel: (real m42 test workflows)', () => {
    const { here, m42 } = both('test-parallel-main');
    expect(pending(here)).toEqual(pending(m42));
    expect(deps(here)).toEqual({
      'creating-sprints-skill-execute': [],
      'creating-sprints-skill-parallel-task': ['creating-sprints-skill-execute'],
      // The next step goes on while the parallel task runs, as m42 runs it in the background.
      'sprint-creator-subagent-execute': ['creating-sprints-skill-execute'],
      'sprint-creator-subagent-parallel-task': ['sprint-creator-subagent-execute'],
      sync: [
        'sprint-creator-subagent-execute',
        'creating-sprints-skill-parallel-task',
        'sprint-creator-subagent-parallel-task',
      ],
    });
    expect(here.parallel).toEqual([
      'creating-sprints-skill-parallel-task',
      'sprint-creator-subagent-parallel-task',
    ]);
    expect(here.breaks).toEqual([]);
  });

  it('a misspelt flag of a workflow phase is an error at its line, with the key m42 reads', () => {
    const doc = yaml(
      'name: s\nworkflow: main\ncollections:\n  step:\n    - id: a\n      prompt: A\n',
      'SPRINT.yaml',
    );
    const flows = workflowsOf({
      main: [
        'name: main',
        'phases:',
        '  - id: steps',
        '    for-each: step',
        '  - id: sync',
        '    prompt: Sync',
        '    wait-for-paralel: true',
        '  - id: review',
        '    prompt: Review',
        '    brek: true',
        '    notes: mine',
      ].join('\n'),
    });
    try {
      convertM42Sprint(doc.value, undefined, options(doc.locate, flows));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidSprintError);
      const file = '/p/.claude/workflows/main.yaml';
      expect((error as InvalidSprintError).issues).toEqual([
        expect.objectContaining({
          file,
          line: 7,
          field: 'phases[1].wait-for-paralel',
          fix: 'did you mean wait-for-parallel? rename it to wait-for-parallel',
        }),
        expect.objectContaining({
          file,
          line: 10,
          field: 'phases[2].brek',
          fix: 'did you mean break? rename it to break',
        }),
        expect.objectContaining({
          file,
          line: 11,
          field: 'phases[2].notes',
          fix: expect.stringMatching(/^remove it; a phase takes id, prompt/),
        }),
      ]);
    }
  });

  it('every key of the real m42 workflows is accepted', () => {
    const sprint = fixture('2026-02-01_sprint-creator-subagent/SPRINT.yaml');
    for (const name of realWorkflows().keys()) {
      const doc = { ...(sprint.value as object), workflow: name };
      expect(() =>
        convertM42Sprint(doc, undefined, options(sprint.locate, realWorkflows())),
      ).not.toThrow();
    }
  });

  it("a break: phase's task gets pause-after, so the run pauses there for review (m42's workflow template)", () => {
    const { here, m42 } = both('workflow-template');
    expect(pending(here)).toEqual(pending(m42));
    expect(here.breaks).toEqual(['review-checkpoint']);
    const paused = here.tasks.filter((t) => t.task.fields['pause-after'] === true);
    expect(paused.map((t) => t.task.id)).toEqual(['review-checkpoint']);
    // Everything stays in order: the break changes no dependency.
    expect(deps(here).finalize).toEqual(['review-checkpoint']);
    expect(here.tasks.find((t) => t.task.id === 'validate')?.task.verify).toBe(
      'npm test && npm run lint',
    );
  });

  it("a for-each phase's break and wait-for-parallel apply to its steps as a whole", () => {
    const doc = yaml(
      'name: s\nworkflow: main\ncollections:\n  step:\n    - id: a\n      prompt: A\n    - id: b\n      prompt: B\n',
      'SPRINT.yaml',
    );
    const c = convertM42Sprint(
      doc.value,
      undefined,
      options(
        doc.locate,
        workflowsOf({
          main: [
            'name: M',
            'phases:',
            '  - id: dev',
            '    for-each: step',
            '    workflow: step',
            '    break: true',
            '  - id: again',
            '    for-each: step',
            '    workflow: step',
            '    wait-for-parallel: true',
          ].join('\n'),
          step: [
            'name: S',
            'phases:',
            '  - id: do',
            '    prompt: "{{item.prompt}}"',
            '  - id: docs',
            '    prompt: docs',
            '    parallel: true',
          ].join('\n'),
        }),
      ),
    );
    // The pause comes after the last step's last task the others wait for, not a background one.
    expect(c.breaks).toEqual(['b-do']);
    expect(deps(c)).toMatchObject({
      'b-do': ['a-do'],
      'a-do-2': ['b-do', 'a-docs', 'b-docs'],
      'b-do-2': ['a-do-2'],
    });
    expect(c.parallel).toEqual(['a-docs', 'b-docs', 'a-docs-2', 'b-docs-2']);
  });
});

describe('m42 workflows missing or malformed: where, and how to fix it', () => {
  const sprint = yaml(
    'name: s\nworkflow: main\ncollections:\n  step:\n    - id: a\n      prompt: A\n      workflow: own\n',
    'SPRINT.yaml',
  );
  const convert = (workflows: Map<string, M42Workflow>) => () =>
    convertM42Sprint(sprint.value, undefined, options(sprint.locate, workflows));
  const thrown = (f: () => unknown) => {
    try {
      f();
    } catch (error) {
      return error as { issues: unknown[] };
    }
    throw new Error('did not throw');
  };

  it('names each missing workflow at the line that names it', () => {
    const error = thrown(
      convert(
        workflowsOf({
          main: 'name: M\nphases:\n  - id: dev\n    for-each: step\n    workflow: tdd\n',
        }),
      ),
    );
    expect(error).toBeInstanceOf(M42WorkflowNotFoundError);
    expect(error.issues).toEqual([
      expect.objectContaining({
        file: 'SPRINT.yaml',
        line: 7,
        field: 'collections.step[0].workflow',
      }),
      {
        file: '/p/.claude/workflows/main.yaml',
        line: 5,
        field: 'phases[0].workflow',
        message: 'names the m42 workflow "tdd", but /p/.claude/workflows has no tdd.yaml',
        fix: 'copy tdd.yaml from the m42 project the sprint comes from into /p/.claude/workflows, or name a workflow that is there',
      },
    ]);
  });

  it('without a .claude/workflows folder, says to import from inside the m42 project', () => {
    const error = thrown(() =>
      convertM42Sprint(sprint.value, undefined, {
        ...options(sprint.locate, new Map()),
        workflowsDir: undefined,
      }),
    );
    expect(error).toBeInstanceOf(M42WorkflowNotFoundError);
    expect(error.issues[0]).toMatchObject({
      file: 'SPRINT.yaml',
      line: 2,
      field: 'workflow',
      fix: 'import the sprint from inside its m42 project (the folder holding .claude/workflows/main.yaml)',
    });
  });

  it.each([
    ['no phases', 'name: M\n', { line: 1, field: 'phases', message: 'has no phases' }],
    [
      'a gate without a script',
      'name: M\nphases:\n  - id: a\n    prompt: A\n    gate:\n      on-fail: { prompt: p }\n',
      { line: 5, field: 'phases[0].gate.script', message: 'has no script' },
    ],
    [
      'a phase with no prompt',
      'name: M\nphases:\n  - id: a\n  - id: a\n    prompt: x\n',
      { line: 3, field: 'phases[0]', message: 'has no prompt, for-each or workflow' },
    ],
    [
      'a for-each over a collection the sprint lacks',
      'name: M\nphases:\n  - id: a\n    for-each: feature\n',
      { line: 4, field: 'phases[0].for-each', message: expect.stringContaining('"feature"') },
    ],
    [
      'a break that is not true or false',
      'name: M\nphases:\n  - id: a\n    prompt: A\n    break: yes please\n',
      { line: 5, field: 'phases[0].break', message: 'must be true or false' },
    ],
    [
      'workflows in a circle',
      'name: M\nphases:\n  - id: a\n    workflow: main\n',
      { line: 4, field: 'phases[0].workflow', message: expect.stringContaining('main -> main') },
    ],
  ])('a malformed workflow (%s) is invalid, with file, line, field and fix', (_, text, issue) => {
    const error = thrown(
      convert(workflowsOf({ main: text, own: 'name: O\nphases:\n  - id: x\n' })),
    );
    expect(error).toBeInstanceOf(InvalidSprintError);
    expect(error.issues[0]).toMatchObject({
      file: '/p/.claude/workflows/main.yaml',
      ...issue,
      fix: expect.any(String),
    });
  });

  it('a step without a prompt is named at its line in SPRINT.yaml', () => {
    const bare = yaml('workflow: main\ncollections:\n  step:\n    - id: empty\n', 'SPRINT.yaml');
    const error = thrown(() =>
      convertM42Sprint(
        bare.value,
        undefined,
        options(
          bare.locate,
          workflowsOf({ main: 'name: M\nphases:\n  - id: a\n    for-each: step\n' }),
        ),
      ),
    );
    expect(error).toBeInstanceOf(InvalidSprintError);
    expect(error.issues).toEqual([
      {
        file: 'SPRINT.yaml',
        line: 4,
        field: 'collections.step[0].prompt',
        message: '"empty" has no prompt',
        fix: 'give it a prompt, or remove it',
      },
    ]);
  });
});
