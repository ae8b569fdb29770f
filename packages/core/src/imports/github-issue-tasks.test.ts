import { describe, expect, it } from 'vitest';
import type { Task } from '../model/sprint.js';
import { githubIssueTasks, splitKnownIssues } from './github-issue-tasks.js';

const task = (id: string, type: string, fields: Record<string, unknown> = {}): Task => ({
  id,
  type,
  priority: 'medium',
  dependsOn: [],
  fields,
});

describe('githubIssueTasks', () => {
  it('makes one implement-issue task per issue: number, title, body, labels, repo', () => {
    const [a, b] = githubIssueTasks(
      [
        { number: 7, title: 'Fix login', body: 'It fails on Safari', labels: ['bug', 'sprint'] },
        { number: 9, title: 'No body', body: null, labels: [] },
      ],
      'acme/web',
    );
    expect(a).toEqual({
      id: 'implement-issue-7',
      type: 'implement-issue',
      title: 'Fix login',
      description: 'It fails on Safari',
      priority: 'medium',
      dependsOn: [],
      fields: { 'issue-number': 7, repo: 'acme/web', labels: ['bug', 'sprint'] },
    });
    expect(b).toEqual({
      id: 'implement-issue-9',
      type: 'implement-issue',
      title: 'No body',
      priority: 'medium',
      dependsOn: [],
      fields: { 'issue-number': 9, repo: 'acme/web' },
    });
  });
});

describe('splitKnownIssues', () => {
  const imported = githubIssueTasks(
    [1, 2, 3, 4, 5].map((n) => ({ number: n, title: `#${n}`, body: null, labels: [] })),
    'acme/web',
  );
  it.each([
    ['an empty sprint has none', [], [], [1, 2, 3, 4, 5]],
    [
      'the same id',
      [task('implement-issue-1', 'implement-issue')],
      [[1, 'implement-issue-1']],
      [2, 3, 4, 5],
    ],
    [
      'the same issue under another id, same repo (any case)',
      [task('fix-two', 'implement-issue', { 'issue-number': 2, repo: 'Acme/Web' })],
      [[2, 'fix-two']],
      [1, 3, 4, 5],
    ],
    [
      'the same issue number without a repo counts as this repo',
      [task('three', 'implement-issue', { 'issue-number': '3' })],
      [[3, 'three']],
      [1, 2, 4, 5],
    ],
    [
      'the same number in another repo is another issue',
      [task('other', 'implement-issue', { 'issue-number': 4, repo: 'acme/api' })],
      [],
      [1, 2, 3, 4, 5],
    ],
    [
      'a custom task with an issue-number field is not an issue task',
      [task('c', 'custom', { 'issue-number': 5 })],
      [],
      [1, 2, 3, 4, 5],
    ],
  ])('%s', (_name, existing, known, fresh) => {
    const split = splitKnownIssues(imported, existing as Task[], 'acme/web');
    expect(split.known.map((k) => [k.issue, k.taskId])).toEqual(known);
    expect(split.fresh.map((t) => t.fields['issue-number'])).toEqual(fresh);
  });
});
