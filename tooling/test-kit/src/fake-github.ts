import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An issue (or, with `pullRequest`, a pull request) in the fake's repository. */
export interface FakeGithubIssue {
  number: number;
  title: string;
  body?: string | null;
  state?: 'open' | 'closed';
  labels?: string[];
  /** The milestone's number in the repository's `milestones`. */
  milestone?: number;
  /** The issues endpoint lists pull requests too, marked with a `pull_request` key. */
  pullRequest?: boolean;
}

export interface FakeGithubRepo {
  issues: FakeGithubIssue[];
  milestones?: { number: number; title: string; state?: 'open' | 'closed' }[];
}

export interface FakeGithubOptions {
  /** By `owner/name`; any other repository answers 404 like GitHub. */
  repos: Record<string, FakeGithubRepo>;
  /** When set, a request without `Authorization: Bearer <token>` (or `token <token>`) gets 401 Bad credentials. */
  token?: string;
  /** Where the REST API lives under the server, like GitHub Enterprise's `/api/v3`. Default: none. */
  pathPrefix?: string;
}

/** A request the fake received, in arrival order. */
export interface FakeGithubRequest {
  method: string;
  /** The path with its query. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A rate-limit answer for the next requests: primary (`x-ratelimit-*`) or secondary (`retry-after`). */
export type FakeRateLimit =
  | { kind: 'primary'; requests: number; resetInSeconds: number; status?: 403 | 429 }
  | { kind: 'secondary'; requests: number; retryAfterSeconds: number };

export interface FakeGithub {
  /** The API's base URL, e.g. `http://127.0.0.1:41234` (with the path prefix, when one is set). */
  url: string;
  requests: FakeGithubRequest[];
  /** Answers the next requests with a rate-limit error. */
  rateLimit(limit: FakeRateLimit): void;
  close(): Promise<void>;
}

const json = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
};

/**
 * A scripted fake of the GitHub REST API's issue listing on 127.0.0.1:
 * `GET /repos/{owner}/{repo}/issues` (state, labels, milestone, per_page,
 * page, with a `Link` header between pages; pull requests included and
 * marked, as GitHub does), `GET /repos/{owner}/{repo}/milestones`, 401 for a
 * wrong token, 404 for an unknown repository, and rate limits on demand.
 */
export async function startFakeGithub(options: FakeGithubOptions): Promise<FakeGithub> {
  const requests: FakeGithubRequest[] = [];
  const prefix = options.pathPrefix ?? '';
  let limit: FakeRateLimit | undefined;
  let base = '';

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    requests.push({ method: req.method ?? 'GET', path, headers: req.headers });
    const url = new URL(path, base);
    if (limit && limit.requests > 0) {
      limit.requests--;
      if (limit.kind === 'primary') {
        const reset = Math.ceil(Date.now() / 1000) + limit.resetInSeconds;
        return json(
          res,
          limit.status ?? 403,
          {
            message: 'API rate limit exceeded for 127.0.0.1.',
            documentation_url: 'https://docs.github.com/rest/rate-limit',
          },
          {
            'x-ratelimit-limit': '60',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': String(reset),
          },
        );
      }
      return json(
        res,
        403,
        { message: 'You have exceeded a secondary rate limit.' },
        { 'retry-after': String(limit.retryAfterSeconds) },
      );
    }
    if (options.token !== undefined) {
      const auth = req.headers.authorization ?? '';
      if (auth !== `Bearer ${options.token}` && auth !== `token ${options.token}`) {
        return json(res, 401, {
          message: 'Bad credentials',
          documentation_url: 'https://docs.github.com/rest',
        });
      }
    }
    const match = url.pathname.match(
      new RegExp(
        `^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/repos/([^/]+)/([^/]+)/(issues|milestones)$`,
      ),
    );
    const repo = match ? options.repos[`${match[1]}/${match[2]}`] : undefined;
    if (!match || !repo || req.method !== 'GET') {
      return json(res, 404, {
        message: 'Not Found',
        documentation_url: 'https://docs.github.com/rest',
      });
    }
    const q = url.searchParams;
    if (match[3] === 'milestones') {
      return json(
        res,
        200,
        (repo.milestones ?? []).map((m) => ({
          number: m.number,
          title: m.title,
          state: m.state ?? 'open',
        })),
      );
    }
    const state = q.get('state') ?? 'open';
    const labels = (q.get('labels') ?? '').split(',').filter(Boolean);
    const milestone = q.get('milestone');
    const selected = repo.issues.filter((issue) => {
      if (state !== 'all' && (issue.state ?? 'open') !== state) return false;
      if (!labels.every((l) => issue.labels?.includes(l))) return false;
      if (milestone === '*' && issue.milestone === undefined) return false;
      if (milestone === 'none' && issue.milestone !== undefined) return false;
      if (milestone && /^\d+$/.test(milestone) && issue.milestone !== Number(milestone))
        return false;
      return true;
    });
    const perPage = Math.min(100, Number(q.get('per_page') ?? 30));
    const page = Number(q.get('page') ?? 1);
    const pages = Math.max(1, Math.ceil(selected.length / perPage));
    const slice = selected.slice((page - 1) * perPage, page * perPage);
    const link = (p: number) => {
      const next = new URL(url);
      next.searchParams.set('page', String(p));
      return next.toString();
    };
    const headers: Record<string, string> = {};
    if (page < pages)
      headers.link = `<${link(page + 1)}>; rel="next", <${link(pages)}>; rel="last"`;
    return json(
      res,
      200,
      slice.map((issue) => ({
        number: issue.number,
        title: issue.title,
        body: issue.body ?? null,
        state: issue.state ?? 'open',
        html_url: `https://github.com/${match[1]}/${match[2]}/issues/${issue.number}`,
        labels: (issue.labels ?? []).map((name) => ({ name })),
        milestone:
          issue.milestone === undefined
            ? null
            : {
                number: issue.milestone,
                title: repo.milestones?.find((m) => m.number === issue.milestone)?.title ?? '',
              },
        ...(issue.pullRequest ? { pull_request: { url: 'x' } } : {}),
      })),
      headers,
    );
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  return {
    url: `${base}${prefix}`,
    requests,
    rateLimit(l) {
      limit = { ...l };
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
