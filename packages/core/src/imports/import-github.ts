import type { SprintStore } from '../stores/sprint-store.js';
import { githubIssueTasks, splitKnownIssues } from './github-issue-tasks.js';
import { fetchGithubIssues, type GithubIssueQuery } from './github-issues.js';

/** What an import from GitHub did. */
export interface GithubImportResult {
  /** Issues GitHub listed (pull requests left out). */
  listed: number;
  /** Task ids added. */
  added: string[];
  /** Issues the sprint already had, with the task that holds each. */
  skipped: { issue: number; taskId: string }[];
}

/**
 * Adds one `implement-issue` task per listed GitHub issue to a sprint,
 * skipping issues it already has. Reads GitHub first: a failure there
 * changes nothing.
 */
export async function importGithubIssues(
  store: SprintStore,
  sprintId: string,
  query: GithubIssueQuery,
): Promise<GithubImportResult> {
  const issues = await fetchGithubIssues(query);
  const snapshot = await store.load(sprintId);
  const { fresh, known } = splitKnownIssues(
    githubIssueTasks(issues, query.repo),
    snapshot.definition.tasks,
    query.repo,
  );
  const { added, skipped } = fresh.length
    ? await store.addTasks(sprintId, fresh)
    : { added: [], skipped: [] };
  // A task added by someone else between load and add is skipped by the store: report it too.
  const raced = skipped.map((taskId) => ({
    issue: Number(taskId.replace(/^implement-issue-/, '')),
    taskId,
  }));
  return { listed: issues.length, added, skipped: [...known, ...raced] };
}
