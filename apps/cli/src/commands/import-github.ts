import { GITHUB_API_URL, githubToken, importGithubIssues, plural } from '@sprint/core';
import type { CommandContext } from '../cli.js';
import { EXIT } from '../exit-codes.js';
import { displayPath, openSprintArg } from '../sprint-arg.js';
import { UsageError } from '../usage-error.js';

/** Options of `sprint import --github`. */
export interface GithubImportOptions {
  github: string;
  label?: string[];
  milestone?: string;
  state?: 'open' | 'closed' | 'all';
  json?: boolean;
}

/**
 * `sprint import --github OWNER/REPO`: one `implement-issue` task per issue,
 * issues already in the sprint skipped and named.
 */
export async function importGithubCommand(
  ctx: CommandContext,
  args: string[],
  options: GithubImportOptions,
): Promise<number> {
  const { io } = ctx;
  if (args.length > 1) {
    throw new UsageError(
      `With --github, name at most the sprint (got ${args.join(' ')}): sprint import [<sprint>] --github OWNER/REPO`,
      'import',
    );
  }
  const opened = await openSprintArg(ctx, args[0], 'import');
  const token = await githubToken(io.env);
  const apiUrl = io.env.GITHUB_API_URL || GITHUB_API_URL;
  const result = await importGithubIssues(opened.store, opened.sprintId, {
    repo: options.github,
    labels: options.label,
    milestone: options.milestone,
    state: options.state,
    token: token?.value,
    apiUrl,
    signal: io.signal,
    onRateLimitWait: ({ waitMs, resetAt }) => {
      io.stderr.write(
        `GitHub's rate limit is used up: waiting ${Math.ceil(waitMs / 1000)}s (until ${resetAt.toISOString()})...\n`,
      );
    },
  });
  const shown = displayPath(io.cwd, opened.path);
  if (options.json) {
    io.stdout.write(
      `${JSON.stringify({ repo: options.github, sprint: opened.path, tokenFrom: token?.from ?? null, ...result }, null, 2)}\n`,
    );
    return EXIT.ok;
  }
  if (!token) {
    io.stderr.write(
      'No GitHub token (GITHUB_TOKEN, GH_TOKEN or `gh auth token`): public issues only, 60 requests an hour.\n',
    );
  }
  const n = result.added.length;
  io.stdout.write(
    `Imported ${plural(n, 'issue')} from ${options.github} into ${shown}${n ? `: ${result.added.join(', ')}` : ''}\n`,
  );
  if (result.skipped.length) {
    io.stdout.write(
      `Skipped ${result.skipped.length} already in the sprint: ${result.skipped.map((s) => (s.taskId === `implement-issue-${s.issue}` ? `#${s.issue}` : `#${s.issue} (${s.taskId})`)).join(', ')}\n`,
    );
  }
  if (result.listed === 0) {
    io.stdout.write(
      `GitHub lists no ${options.state ?? 'open'} issues in ${options.github} that match.\n`,
    );
  }
  return EXIT.ok;
}
