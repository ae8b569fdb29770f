import { InvalidOptionsError } from '../model/errors.js';
import type { GithubIssue } from './github-issue-tasks.js';
import { nextPageUrl } from './github-link.js';
import { rateLimitOf } from './github-rate-limit.js';
import { ImportSourceError } from './import-error.js';

/** The public GitHub REST API; GitHub Enterprise Server's is `https://HOST/api/v3`. */
export const GITHUB_API_URL = 'https://api.github.com';

/** `owner/name` as GitHub allows them. */
export const GITHUB_REPO_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9_.-]+$/;

/** Which issues to list, and how to reach GitHub. */
export interface GithubIssueQuery {
  /** `OWNER/REPO`. */
  repo: string;
  /** Only issues that carry every one of these labels. */
  labels?: string[];
  /** A milestone's title or number, `*` (any) or `none`. */
  milestone?: string;
  /** Default `open`. */
  state?: 'open' | 'closed' | 'all';
  /** Sent as `Authorization: Bearer`; without one, GitHub allows 60 requests an hour. */
  token?: string;
  /** Default {@link GITHUB_API_URL}. */
  apiUrl?: string;
  signal?: AbortSignal;
  /** The longest rate-limit wait to sit out before giving up with `rate-limited` (default 60 s). */
  maxRateLimitWaitMs?: number;
  /** Told before each rate-limit wait, so the caller can say why nothing happens. */
  onRateLimitWait?: (wait: { waitMs: number; resetAt: Date }) => void;
  /** Default: the global `fetch`. */
  fetch?: typeof fetch;
}

const PER_PAGE = 100;

/**
 * Lists a repository's issues (pull requests left out) through the GitHub
 * REST API, following every page of the `Link` header and sitting out short
 * rate limits. Throws {@link ImportSourceError} with a kind and a message a
 * person can act on; never returns a partial list.
 *
 * @example
 * const issues = await fetchGithubIssues({ repo: 'acme/api', labels: ['sprint'], token });
 */
export async function fetchGithubIssues(query: GithubIssueQuery): Promise<GithubIssue[]> {
  if (!GITHUB_REPO_PATTERN.test(query.repo)) {
    throw new InvalidOptionsError(
      `"${query.repo}" is not a GitHub repository: write it as OWNER/REPO, like octocat/hello-world.`,
    );
  }
  const api = (query.apiUrl ?? GITHUB_API_URL).replace(/\/+$/, '');
  const client = new GithubClient(api, query);
  const params = new URLSearchParams({ state: query.state ?? 'open', per_page: String(PER_PAGE) });
  if (query.labels?.length) params.set('labels', query.labels.join(','));
  if (query.milestone !== undefined) {
    params.set('milestone', await client.milestoneNumber(query.repo, query.milestone));
  }
  const issues: GithubIssue[] = [];
  for await (const item of client.pages(
    `${api}/repos/${query.repo}/issues?${params}`,
    query.repo,
  )) {
    const raw = item as Record<string, unknown>;
    if (raw.pull_request !== undefined) continue;
    if (typeof raw.number !== 'number' || typeof raw.title !== 'string') {
      throw new ImportSourceError(
        'unavailable',
        `GitHub answered an issue without number or title from ${api}.`,
      );
    }
    issues.push({
      number: raw.number,
      title: raw.title,
      body: typeof raw.body === 'string' ? raw.body : null,
      labels: Array.isArray(raw.labels)
        ? raw.labels
            .map((l) => (typeof l === 'string' ? l : (l as { name?: unknown })?.name))
            .filter((l): l is string => typeof l === 'string')
        : [],
      ...(typeof raw.html_url === 'string' ? { url: raw.html_url } : {}),
      ...(raw.milestone && typeof (raw.milestone as { title?: unknown }).title === 'string'
        ? { milestone: (raw.milestone as { title: string }).title }
        : {}),
    });
  }
  return issues.sort((a, b) => a.number - b.number);
}

/** GET with GitHub's headers, its errors turned into {@link ImportSourceError}, short rate limits waited out. */
class GithubClient {
  readonly #api: string;
  readonly #query: GithubIssueQuery;
  readonly #fetch: typeof fetch;
  constructor(api: string, query: GithubIssueQuery) {
    this.#api = api;
    this.#query = query;
    this.#fetch = query.fetch ?? fetch;
  }

  async *pages(first: string, repo: string): AsyncGenerator<unknown> {
    let url: string | undefined = first;
    while (url) {
      const res = await this.#get(url, repo);
      const body = await res.json().catch(() => undefined);
      if (!Array.isArray(body)) {
        throw new ImportSourceError(
          'unavailable',
          `${this.#api} did not answer like the GitHub REST API (expected a JSON list from ${new URL(url).pathname}). Check the API URL (GitHub Enterprise: https://HOST/api/v3).`,
        );
      }
      yield* body;
      url = nextPageUrl(res.headers.get('link'));
    }
  }

  async milestoneNumber(repo: string, milestone: string): Promise<string> {
    if (/^\d+$/.test(milestone) || milestone === '*' || milestone === 'none') return milestone;
    const titles: string[] = [];
    for await (const m of this.pages(
      `${this.#api}/repos/${repo}/milestones?state=all&per_page=${PER_PAGE}`,
      repo,
    )) {
      const { number, title } = m as { number?: unknown; title?: unknown };
      if (typeof title !== 'string' || typeof number !== 'number') continue;
      if (title === milestone) return String(number);
      titles.push(title);
    }
    throw new ImportSourceError(
      'not-found',
      `${repo} has no milestone "${milestone}"${titles.length ? ` (it has: ${titles.map((t) => `"${t}"`).join(', ')})` : ' (it has none)'}.`,
    );
  }

  async #get(url: string, repo: string): Promise<Response> {
    const { signal, token } = this.#query;
    const maxWait = this.#query.maxRateLimitWaitMs ?? 60_000;
    for (;;) {
      let res: Response;
      try {
        res = await this.#fetch(url, {
          signal,
          headers: {
            accept: 'application/vnd.github+json',
            'x-github-api-version': '2022-11-28',
            'user-agent': 'sprint-cli',
            ...(token ? { authorization: `Bearer ${token}` } : {}),
          },
        });
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        throw new ImportSourceError(
          'unavailable',
          `Cannot reach the GitHub API at ${this.#api}: ${cause?.code ?? cause?.message ?? (error as Error).message}.`,
          { cause: error },
        );
      }
      if (res.ok) return res;
      const limit = rateLimitOf(res.status, res.headers, Date.now());
      const message = await githubMessage(res);
      if (limit.limited) {
        if (limit.waitMs > maxWait) {
          throw new ImportSourceError(
            'rate-limited',
            `GitHub's rate limit is used up (${message}); it resets at ${limit.resetAt.toISOString()}.${token ? '' : ' Without a token GitHub allows 60 requests an hour: use a token for 5,000.'}`,
            { retryAt: limit.resetAt },
          );
        }
        this.#query.onRateLimitWait?.({ waitMs: limit.waitMs, resetAt: limit.resetAt });
        await wait(limit.waitMs, signal);
        continue;
      }
      if (res.status === 401) {
        throw new ImportSourceError(
          'auth',
          `GitHub refused the token (401 ${message}): use a token that can read ${repo}'s issues.`,
        );
      }
      if (res.status === 403) {
        throw new ImportSourceError('auth', `GitHub refused access to ${repo} (403 ${message}).`);
      }
      if (res.status === 404) {
        throw new ImportSourceError(
          'not-found',
          `GitHub has no repository ${repo} at ${this.#api} (404), or the token cannot see it${token ? '' : ' (no token was sent: a private repository needs one)'}.`,
        );
      }
      throw new ImportSourceError(
        'unavailable',
        `GitHub answered ${res.status} for ${new URL(url).pathname}: ${message}.`,
      );
    }
  }
}

async function githubMessage(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const message = (JSON.parse(text) as { message?: unknown }).message;
    if (typeof message === 'string') return message.slice(0, 200);
  } catch {
    // Not JSON: say the status text instead.
  }
  return res.statusText || 'no message';
}

function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
