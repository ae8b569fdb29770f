import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { InvalidSprintError } from '../model/errors.js';
import { readYamlSource } from '../stores/directory/yaml-source.js';
import { convertM42Sprint, isM42WorkflowSprint } from './m42-sprint.js';

const FIXTURES = join(import.meta.dirname, 'fixtures/m42');
const read = (sprint: string, file: string) => {
  try {
    return parse(readFileSync(join(FIXTURES, sprint, file), 'utf8'));
  } catch {
    return undefined;
  }
};
const files = { dirName: 'x', sprintFile: 'SPRINT.yaml', progressFile: 'PROGRESS.yaml' };

describe('convertM42Sprint on real m42 sprints', () => {
  it('flattens the compiled phases in order, steps by their phases, finished ones done', () => {
    const c = convertM42Sprint(
      read('2026-02-05_claudemd-commands', 'SPRINT.yaml'),
      read('2026-02-05_claudemd-commands', 'PROGRESS.yaml'),
      files,
    );
    expect(c).toMatchObject({
      sprintId: '2026-02-05_claudemd-commands',
      name: 'CLAUDE.md Workflow Commands',
      workflow: 'plugin-development',
      fromProgress: true,
    });
    expect(c.tasks.map((t) => [t.task.id, t.done])).toEqual([
      ['preflight', true],
      ['scan-claudemd-command', true],
      ['claudemd-agent', true],
      ['optimize-claudemd-command', true],
      ['documentation', true],
      ['tooling-update', true],
      ['version-bump', true],
      ['final-qa', true],
      ['summary', true],
      ['pr-create', false],
    ]);
    // A chain: each task waits for the one before it.
    expect(c.tasks[1]!.task.dependsOn).toEqual(['preflight']);
    expect(c.tasks[9]!.task.dependsOn).toEqual(['summary']);
    expect(c.tasks[1]!.task.description).toContain('scan-claudemd');
    expect(c.tasks[0]!.completedAt).toBe('2026-02-05T22:40:57.360Z');
  });

  it('an empty collection: invalid, with file, field and fix', () => {
    expect(() =>
      convertM42Sprint(read('2026-02-02_step-learnings', 'SPRINT.yaml'), undefined, files),
    ).toThrow(
      /SPRINT\.yaml collections: has no steps to convert \(fix: add items with a prompt under collections\.step/,
    );
  });
});

describe('convertM42Sprint', () => {
  it('keeps models, maps command gates to verify, names multi-phase steps <step>-<phase>', () => {
    const sprint = {
      workflow: 'tdd',
      'sprint-id': 's1',
      model: 'sonnet',
      collections: {
        step: [
          { id: 'auth', prompt: 'Add auth', model: 'opus' },
          { id: 'ui', prompt: 'Add UI' },
        ],
      },
    };
    const progress = {
      phases: [
        { id: 'prep', status: 'completed', prompt: 'Prepare' },
        {
          id: 'development',
          status: 'in-progress',
          steps: [
            {
              id: 'auth',
              prompt: 'Add auth',
              status: 'in-progress',
              phases: [
                { id: 'red', status: 'completed', prompt: 'Write failing tests' },
                {
                  id: 'green',
                  status: 'pending',
                  prompt: 'Make them pass',
                  gate: { script: 'npm test', 'on-fail-prompt': 'fix' },
                },
              ],
            },
            {
              id: 'ui',
              prompt: 'Add UI',
              status: 'pending',
              phases: [{ id: 'execute', status: 'pending', prompt: 'Do it', model: 'haiku' }],
            },
          ],
        },
      ],
    };
    const c = convertM42Sprint(sprint, progress, files);
    expect(c.tasks.map((t) => [t.task.id, t.done, t.task.fields.model, t.task.verify])).toEqual([
      ['prep', true, 'sonnet', undefined],
      ['auth-red', true, 'opus', undefined],
      ['auth-green', false, 'opus', 'npm test'],
      ['ui', false, 'haiku', undefined],
    ]);
    expect(c.tasks[2]!.task.title).toBe('auth: green');
  });

  it('makes ids valid and unique', () => {
    const c = convertM42Sprint(
      { workflow: 'w' },
      {
        phases: [
          { id: 'a b/c', prompt: 'x' },
          { id: 'a b/c', prompt: 'y' },
        ],
      },
      files,
    );
    expect(c.tasks.map((t) => t.task.id)).toEqual(['a-b-c', 'a-b-c-2']);
  });

  it('a compiled phase without a prompt is named in the error', () => {
    try {
      convertM42Sprint({ workflow: 'w' }, { phases: [{ id: 'empty' }] }, files);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidSprintError);
      expect((error as InvalidSprintError).issues[0]).toMatchObject({
        field: 'phases[0]',
        file: 'PROGRESS.yaml',
      });
    }
  });

  it('a compiled phase, step or sub-phase with a flag one letter off is an error at its line', () => {
    const text = [
      'phases:',
      '  - id: steps',
      '    steps:',
      '      - id: a',
      '        phases:',
      '          - id: run',
      '            prompt: A',
      '            paralel: true',
      '    brek: true',
      '  - id: sync',
      '    prompt: Sync',
      '    wait_for_parallel: true',
      '    summary: written by m42',
    ].join('\n');
    const source = readYamlSource(text, 'PROGRESS.yaml');
    try {
      convertM42Sprint({ workflow: 'w' }, source.value, {
        ...files,
        locateProgress: source.locate,
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidSprintError);
      expect((error as InvalidSprintError).issues).toEqual([
        expect.objectContaining({
          line: 9,
          field: 'phases[0].brek',
          fix: expect.stringContaining('did you mean break?'),
        }),
        expect.objectContaining({
          line: 8,
          field: 'phases[0].steps[0].phases[0].paralel',
          fix: expect.stringContaining('did you mean parallel?'),
        }),
        expect.objectContaining({
          line: 12,
          field: 'phases[1].wait_for_parallel',
          fix: expect.stringContaining('did you mean wait-for-parallel?'),
        }),
      ]);
    }
  });

  it.each([
    [{ workflow: 'x' }, undefined, true],
    [{ collections: {} }, undefined, true],
    [{ name: 'plain' }, { queue: [] }, false],
    [undefined, { phases: [] }, true],
    [undefined, { phases: [], queue: [] }, false],
  ])('isM42WorkflowSprint(%j, %j) -> %s', (sprint, progress, expected) => {
    expect(isM42WorkflowSprint(sprint, progress)).toBe(expected);
  });
});
