import { describe, expect, it } from 'vitest';
import { InvalidSprintError } from '../../model/errors.js';
import type { Task } from '../../model/sprint.js';
import { taskFromYaml, taskToYaml } from './task-yaml.js';

const where = { file: 'tasks.yaml', field: 'tasks[0]', line: 4 };

function issuesOf(raw: unknown) {
  try {
    taskFromYaml(raw, where);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidSprintError);
    return (error as InvalidSprintError).issues;
  }
  throw new Error('expected the task to be rejected');
}

describe('taskFromYaml', () => {
  it('reads the common fields and keeps every field as written', () => {
    const raw = {
      id: 'refactor-auth',
      type: 'refactor',
      priority: 'high',
      title: 'Tidy auth',
      'target-path': 'src/auth',
      goal: 'One module',
      'depends-on': 'implement-issue-1',
      verify: 'pnpm test',
      command: 'make',
      estimate: 3,
      labels: 'auth',
      'blocked-by': ['x'],
    };
    expect(taskFromYaml(raw, where)).toEqual({
      id: 'refactor-auth',
      type: 'refactor',
      priority: 'high',
      title: 'Tidy auth',
      dependsOn: ['implement-issue-1'],
      verify: 'pnpm test',
      command: 'make',
      fields: raw,
    });
  });

  it('defaults the priority to medium and accepts a numeric id', () => {
    const task = taskFromYaml({ id: 42, type: 'shell', command: 'true' }, where);
    expect(task).toMatchObject({ id: '42', priority: 'medium', dependsOn: [] });
    expect(task.fields.id).toBe(42);
  });

  it('reports each problem with the file, the given line, the field and a fix', () => {
    const issues = issuesOf({
      id: 'bad id!',
      type: 'custom',
      priority: 'High',
      title: 7,
      depends_on: 'a',
    });
    expect(issues.map((i) => [i.field, i.fix])).toEqual([
      ['tasks[0].depends_on', 'rename it to depends-on'],
      ['tasks[0].id', expect.stringContaining('for example bad-id')],
      ['tasks[0].priority', 'use one of: critical, high, medium, low (did you mean "high"?)'],
      ['tasks[0].title', 'write title as text (quote it)'],
    ]);
    for (const issue of issues) expect(issue).toMatchObject({ file: 'tasks.yaml', line: 4 });
  });

  it('takes pause-after as true or false only', () => {
    expect(taskFromYaml({ id: 'a', 'pause-after': true }, where).fields['pause-after']).toBe(true);
    expect(issuesOf({ id: 'a', 'pause-after': 'yes' }).map((i) => [i.field, i.fix])).toEqual([
      ['tasks[0].pause-after', 'write pause-after: true or false'],
    ]);
  });

  it('rejects what is not a task', () => {
    expect(issuesOf('just text')[0]!.message).toMatch(/expected a task/);
    expect(issuesOf({ title: 'x' })[0]!.message).toBe(
      'a task needs an id or a type; this one has neither',
    );
    expect(issuesOf({ id: 'a', type: 'x', labels: { a: 1 } })[0]!.field).toBe('tasks[0].labels');
    expect(issuesOf({ id: 'a', type: '' })[0]!.field).toBe('tasks[0].type');
  });
});

describe('taskToYaml', () => {
  it('fills the model fields of a task made in code, in kebab-case', () => {
    const task: Task = {
      id: 'custom-x',
      type: 'custom',
      title: 'X',
      description: 'Do x',
      priority: 'medium',
      dependsOn: ['a'],
      verify: 'pnpm test',
      command: 'make x',
      fields: {},
    };
    expect(taskToYaml(task)).toEqual({
      id: 'custom-x',
      type: 'custom',
      title: 'X',
      description: 'Do x',
      priority: 'medium',
      'depends-on': ['a'],
      verify: 'pnpm test',
      command: 'make x',
    });
    expect(Object.keys(taskToYaml({ ...task, dependsOn: [] }))).not.toContain('depends-on');
  });

  it('writes fields read from a file as they were', () => {
    const raw = {
      type: 'refactor',
      id: 7,
      'depends-on': 'a',
      goal: 'g',
      'target-path': 'p',
      extra: { deep: [1] },
    };
    const task = taskFromYaml(raw, where);
    const out = taskToYaml(task);
    expect(out).toEqual(raw);
    expect(Object.keys(out)).toEqual(Object.keys(raw));
    expect(taskFromYaml(out, where)).toEqual(task);
  });

  it('writes what the model changed since the task was read', () => {
    const task = taskFromYaml({ id: 'a', type: 'shell', 'depends-on': 'b', title: 'Old' }, where);
    const out = taskToYaml({ ...task, dependsOn: ['b', 'c'], priority: 'low', title: undefined });
    expect(out).toEqual({ id: 'a', type: 'shell', 'depends-on': ['b', 'c'], priority: 'low' });
  });
});
