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
});
