import { describe, expect, it } from 'vitest';
import { InvalidSprintError } from '../model/errors.js';
import { parseTasksFile, taskFromFields } from './task-input.js';

describe('taskFromFields', () => {
  it('makes a task of an original type with its id by convention', () => {
    const task = taskFromFields('implement-issue', { 'issue-number': 42, repo: 'acme/web' });
    expect(task).toMatchObject({
      id: 'implement-issue-42',
      type: 'implement-issue',
      priority: 'medium',
    });
    expect(task.fields.repo).toBe('acme/web');
  });

  it('names a missing required field and a misspelt one with the closest known name', () => {
    const error = (() => {
      try {
        taskFromFields('custom', { description: 'x', 'done-when': 'y', priorty: 'high' });
      } catch (e) {
        return e;
      }
    })() as InvalidSprintError;
    expect(error).toBeInstanceOf(InvalidSprintError);
    expect(error.issues[0]).toMatchObject({ field: 'priorty', suggestion: 'priority' });
    expect(() => taskFromFields('refactor', { 'target-path': 'src' })).toThrow(/"goal"/);
  });

  it('lets your own types take any field', () => {
    expect(taskFromFields('smoke-test', { anything: 1, id: 'smoke' }).fields.anything).toBe(1);
  });
});

describe('parseTasksFile', () => {
  it('names the file and the task of a missing required field', () => {
    expect(() =>
      parseTasksFile('tasks:\n  - type: custom\n    description: x\n', 'tasks.yaml'),
    ).toThrow(/tasks\.yaml.*tasks\[0\]\.done-when/s);
  });
  it('names file and line of a missing field and of a type one letter off a built-in one', () => {
    const text = [
      'tasks:',
      '  - id: e1',
      '    description: x',
      "    done-when: 'y'",
      '  - id: e2',
      '    type: custm',
      '    description: x',
      '  - id: e3',
      '    type: custom',
      '    description: x',
    ].join('\n');
    try {
      parseTasksFile(text, 'tasks.yaml');
      expect.unreachable();
    } catch (error) {
      expect((error as InvalidSprintError).issues).toEqual([
        expect.objectContaining({ file: 'tasks.yaml', line: 8, field: 'tasks[2].done-when' }),
        expect.objectContaining({
          file: 'tasks.yaml',
          line: 6,
          field: 'tasks[1].type',
          suggestion: 'custom',
        }),
      ]);
    }
  });

  it.each([
    ['pause_after', 'pause-after'],
    ['pause-afer', 'pause-after'],
    ['dependson', 'depends-on'],
    ['done_when', 'done-when'],
    ['verfy', 'verify'],
    ['priorty', 'priority'],
  ])('a field %s is a slip of %s: an error at its line with the fix', (slip, field) => {
    const text = `- id: a\n  description: x\n  done-when: y\n  ${slip}: true\n`;
    expect(() => parseTasksFile(text, 'tasks.yaml')).toThrow(
      new RegExp(`tasks\\.yaml:4 tasks\\[0\\]\\.${slip}: .*${field}`),
    );
  });

  it('keeps fields of your own, also ones near a known field but for a plural', () => {
    const text =
      '- id: a\n  description: x\n  done-when: y\n  label: mine\n  agent-notes: n\n  goals: [g]\n';
    expect(parseTasksFile(text, 'tasks.yaml')[0]!.fields).toMatchObject({
      label: 'mine',
      'agent-notes': 'n',
      goals: ['g'],
    });
  });
});
