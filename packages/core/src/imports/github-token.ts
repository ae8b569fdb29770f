import { execFile } from 'node:child_process';

/** A GitHub token and where it came from (`GITHUB_TOKEN`, `GH_TOKEN` or `gh auth token`). */
export interface GithubToken {
  value: string;
  from: string;
}

/**
 * The token to send to GitHub: `GITHUB_TOKEN`, `GH_TOKEN`, else what
 * `gh auth token` prints (for `GITHUB_API_URL`'s host when set); none when gh
 * is missing or logged out. Shared by `sprint import --github` and the API's
 * `POST /sprints/{id}/import/github`, which both read their own environment.
 */
export async function githubToken(
  env: Record<string, string | undefined>,
): Promise<GithubToken | undefined> {
  for (const name of ['GITHUB_TOKEN', 'GH_TOKEN']) {
    const value = env[name]?.trim();
    if (value) return { value, from: name };
  }
  const printed = await new Promise<string>((resolve) => {
    execFile(
      'gh',
      ['auth', 'token', ...(env.GITHUB_API_URL ? ['--hostname', hostOf(env.GITHUB_API_URL)] : [])],
      { env: env as NodeJS.ProcessEnv, timeout: 10_000, killSignal: 'SIGKILL' },
      (error, stdout) => resolve(error ? '' : stdout.trim()),
    );
  });
  return printed ? { value: printed, from: 'gh auth token' } : undefined;
}

function hostOf(apiUrl: string): string {
  try {
    return new URL(apiUrl).host;
  } catch {
    return apiUrl;
  }
}
