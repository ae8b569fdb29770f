import type { Task } from '../model/sprint.js';

/** An issue as the GitHub REST API lists it (the fields an import uses). */
export interface GithubIssue {
  number: number;
  title: string;
  body: string | null;
  labels: string[];
  url?: string;
  milestone?: string;
}

/**
 * One `implement-issue` task per issue, the way the original plugin's
 * `/import-tasks issues --label` made them: id `implement-issue-<n>`, the
 * issue's number, title, body, labels and repository.
 */
export function githubIssueTasks(issues: GithubIssue[], repo: string): Task[] {
  return issues.map((issue) => ({
    id: `implement-issue-${issue.number}`,
    type: 'implement-issue',
    title: issue.title,
    ...(issue.body?.trim() ? { description: issue.body } : {}),
    priority: 'medium',
    dependsOn: [],
    fields: {
      'issue-number': issue.number,
      repo,
      ...(issue.labels.length ? { labels: issue.labels } : {}),
    },
  }));
}

/** Which imported tasks are new, and which issues the sprint already has (under which task id). */
export interface IssueSplit {
  fresh: Task[];
  known: { issue: number; taskId: string }[];
}

/**
 * Splits imported issue tasks into those the sprint lacks and those it
 * already has: the same task id, or an `implement-issue` task for the same
 * issue number of the same repository (a task without `repo` counts as the
 * same repository).
 */
export function splitKnownIssues(imported: Task[], existing: Task[], repo: string): IssueSplit {
  const byIssue = new Map<number, string>();
  const ids = new Set<string>();
  for (const task of existing) {
    ids.add(task.id);
    if (task.type !== 'implement-issue') continue;
    const n = Number(task.fields['issue-number']);
    const r = task.fields.repo;
    if (
      Number.isInteger(n) &&
      (r === undefined || r === null || String(r).toLowerCase() === repo.toLowerCase())
    ) {
      if (!byIssue.has(n)) byIssue.set(n, task.id);
    }
  }
  const split: IssueSplit = { fresh: [], known: [] };
  for (const task of imported) {
    const n = Number(task.fields['issue-number']);
    const taskId = ids.has(task.id) ? task.id : byIssue.get(n);
    if (taskId !== undefined) split.known.push({ issue: n, taskId });
    else split.fresh.push(task);
  }
  return split;
}
