import {
  GITHUB_API_URL,
  githubToken,
  ImportSourceError,
  importGithubIssues,
  type SprintStore,
} from '@sprint/core';
import type { Context } from 'hono';
import { readJson } from '../body.js';
import { ApiError } from '../problem.js';
import { GithubImportBodySchema, GithubImportResultSchema } from '../schemas.js';

/** Where the server reads GitHub issues from: its own configuration, never the request's. */
export interface GithubSource {
  /** Default `GITHUB_API_URL` of the server's environment, else https://api.github.com. */
  apiUrl?: string;
  /** Default: `GITHUB_TOKEN`, `GH_TOKEN` or `gh auth token` of the server's environment. */
  token?: () => Promise<string | undefined>;
  /** The longest GitHub rate-limit wait a request sits out before answering 503 (ms, default 5,000). */
  maxRateLimitWaitMs?: number;
}

/** The GitHub source of a server started in this environment. */
export function githubSourceFromEnv(env: Record<string, string | undefined>): GithubSource {
  return {
    apiUrl: env.GITHUB_API_URL || GITHUB_API_URL,
    // Asked on each import, so a token renewed (or `gh auth login`) while the server runs is used.
    token: async () => (await githubToken(env))?.value,
  };
}

export interface GithubImportDeps {
  store: SprintStore;
  github: GithubSource;
  limit: number;
  idOf(c: Context): string;
  changed(id: string): void;
  json: <T>(c: Context, schema: { parse(v: unknown): T }, value: T, status?: number) => Response;
}

/**
 * `POST /sprints/{id}/import/github` (= `sprint import --github`): one
 * `implement-issue` task per issue, issues already in the sprint skipped.
 * GitHub's failures answer with their own statuses: the repository or
 * milestone unknown 422, GitHub refusing the server's token or unreachable
 * 502, a rate limit 503 with `Retry-After`.
 */
export function githubImportHandler(deps: GithubImportDeps) {
  return async (c: Context) => {
    const id = deps.idOf(c);
    const body = await readJson(c, GithubImportBodySchema, deps.limit);
    await deps.store.load(id); // 404 before GitHub is asked
    const labels = body.label === undefined ? undefined : [body.label].flat();
    let result: Awaited<ReturnType<typeof importGithubIssues>>;
    try {
      result = await importGithubIssues(deps.store, id, {
        repo: body.repo,
        labels,
        milestone: body.milestone,
        state: body.state,
        token: await deps.github.token?.(),
        apiUrl: deps.github.apiUrl ?? GITHUB_API_URL,
        maxRateLimitWaitMs: deps.github.maxRateLimitWaitMs ?? 5000,
        signal: c.req.raw.signal,
      });
    } catch (error) {
      throw error instanceof ImportSourceError ? githubProblem(error) : error;
    }
    deps.changed(id);
    return deps.json(c, GithubImportResultSchema, { repo: body.repo, ...result });
  };
}

function githubProblem(error: ImportSourceError): ApiError {
  switch (error.kind) {
    case 'not-found':
      return new ApiError(422, 'GITHUB_NOT_FOUND', error.message, {
        issues: [{ field: 'repo', message: error.message }],
        cause: error,
      });
    case 'auth':
      return new ApiError(
        502,
        'GITHUB_AUTH',
        `${error.message} (the token is the server's: GITHUB_TOKEN, GH_TOKEN or \`gh auth token\` where it runs)`,
        { cause: error },
      );
    case 'rate-limited':
      return new GithubRateLimited(error);
    default:
      return new ApiError(502, 'GITHUB_UNAVAILABLE', error.message, { cause: error });
  }
}

/** 503 with the seconds until GitHub's limit resets as `Retry-After`. */
export class GithubRateLimited extends ApiError {
  readonly retryAfterSeconds: number;
  constructor(error: ImportSourceError) {
    super(503, 'GITHUB_RATE_LIMITED', error.message, { cause: error });
    this.retryAfterSeconds = Math.max(
      1,
      Math.ceil(((error.retryAt?.getTime() ?? Date.now() + 60_000) - Date.now()) / 1000),
    );
  }
}
