import { resolve } from 'node:path';
import {
  AgentNotInstalledError,
  AgentRegistry,
  describeSprint,
  type LockInfo,
  type NotifyOptions,
  preflightAgents,
  type RunEvent,
  type SprintConfig,
  type SprintHook,
  SprintRunner,
  type SprintSnapshot,
  type SprintStore,
} from '@sprint/core';
import { type Context, Hono } from 'hono';
import type { z } from 'zod';
import { bearerAuth } from './auth.js';
import { DEFAULT_MAX_BODY_BYTES } from './body.js';
import { isDashboardPath, mountDashboard } from './dashboard.js';
import type { EncodedBody } from './encoded-body.js';
import { EventHub } from './event-hub.js';
import { notifyUrlAllowlist } from './notify-allow.js';
import { buildOpenApiDocument } from './openapi.js';
import { ApiError, type Problem, problemResponse, toProblem } from './problem.js';
import { ReadCache } from './read-cache.js';
import { Redactor, secretsOf } from './redact.js';
import { eventRoutes } from './routes/events.js';
import {
  GithubRateLimited,
  type GithubSource,
  githubSourceFromEnv,
} from './routes/import-github.js';
import { LIST_KEY, printable, type RouteContext } from './routes/route-context.js';
import { runRoutes } from './routes/runs.js';
import { sprintRoutes } from './routes/sprints.js';
import { systemRoutes } from './routes/system.js';
import { taskRoutes } from './routes/tasks.js';
import { agentNotInstalled, runRegistry } from './run-agents.js';
import { HealthSchema, type WorkerList } from './schemas.js';
import { checkSprintId } from './sprint-id.js';
import { SprintRuns } from './sprint-runs.js';
import { VERSION } from './version.js';
import { serverAgents } from './wiring.js';

/** The agents the server offers: only these names may be picked by a request. */
export interface AgentSetup {
  /** Agent names a request may pick (`agent` of a run, `config.agent(s)` of a new sprint). */
  readonly names: readonly string[];
  /**
   * The registry for one run of a sprint with this configuration; `override`,
   * one of `names`, runs every task. Programs, arguments and environment come
   * from the server's configuration only.
   */
  registry(config: SprintConfig, override?: string): AgentRegistry;
  /** Where the agents' programs are looked for before a run (PATH, `SPRINT_<NAME>_BIN`). */
  readonly programEnv?: NodeJS.ProcessEnv;
}

/** Describes a sprint for `GET /sprints/{id}` (core's `describeSprint`). */
export type DescribeSprint = (snapshot: SprintSnapshot, lock: LockInfo | null) => unknown;

export interface ApiDeps {
  store: SprintStore;
  /**
   * The web dashboard at `/`: the directory of its built files (default:
   * @sprint/web's), or false to serve the API alone.
   */
  dashboard?: string | false;
  /** The directory the sprints live under: a sprint id never resolves outside it. */
  root: string;
  /** The bearer token every route but /health requires. */
  token: string;
  /** The agents requests may pick. Default: `serverAgents({})` (claude and noop). */
  agents?: AgentSetup;
  /** Default: core's `describeSprint`. */
  describe?: DescribeSprint;
  /** Hooks for a run of a sprint with this configuration (default: none). */
  hooks?: (config: SprintConfig) => SprintHook[];
  /** Accept `command` and `verify` shell commands in task bodies (default false). */
  allowTaskCommands?: boolean;
  /**
   * The webhook and Slack URLs a request's `config.notify` may name: `*` (any), or
   * http(s) URL prefixes (`https://hooks.slack.com/`). Default none: the server posts
   * to the URLs it is given, so a request could otherwise make it reach any address,
   * internal ones included. A sprint file's own targets are not checked.
   */
  allowNotifyUrls?: readonly string[];
  /** Request body limit in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /**
   * Caching of `GET /sprints` and `GET /sprints/{id}` (ms, default 200; 0 turns caching off). A
   * store with `version` has `GET /sprints/{id}` reused exactly while the sprint's version is
   * unchanged; otherwise, and for the list, answers are reused this long.
   */
  readCacheMs?: number;
  /** SSE subscribers across all sprints (default 10,000). */
  maxSubscribers?: number;
  /** How often a sprint with subscribers is re-read for missed events (ms, default 5,000). */
  eventPollMs?: number;
  /** Values never to send or log (the token is always one). */
  secrets?: Iterable<string>;
  /** Where the server writes its log lines (already redacted). Default: nowhere. */
  log?: (line: string) => void;
  /** Milliseconds between SSE keep-alive comments (default 15,000). */
  heartbeatMs?: number;
  /** Notification targets for every sprint's runs (beside each sprint's `config.notify`), and the public URL for links. */
  notify?: NotifyOptions;
  /**
   * Where `POST /sprints/{id}/import/github` reads issues, with which token
   * (default: `GITHUB_API_URL`, `GITHUB_TOKEN`/`GH_TOKEN`/`gh auth token` of this process's environment).
   */
  github?: GithubSource;
  /** The workers of a database store, for `GET /workers` (default: none). */
  workers?: () => Promise<WorkerList['workers']>;
}

/** The app and the parts a server shuts down. */
export interface Api {
  app: Hono;
  runs: SprintRuns;
  events: EventHub;
  redactor: Redactor;
  /** Refuses new runs and streams, stops every run (sprints stay resumable) and ends every stream. */
  shutdown(graceMs?: number): Promise<void>;
}

/**
 * Builds the HTTP API over a store. Testable without a socket:
 *
 * @example
 * const app = createApp({ store, root, token, agents, describe: describeSprint });
 * const res = await app.request('/sprints', { headers: { authorization: `Bearer ${token}` } });
 */
export function createApp(deps: ApiDeps): Hono {
  return createApi(deps).app;
}

/** `createApp`, with the run manager and event hub exposed for a graceful shutdown. */
export function createApi(deps: ApiDeps): Api {
  const { store, root } = deps;
  const agents = deps.agents ?? serverAgents({}).setup;
  const describe = deps.describe ?? ((snapshot, lock) => describeSprint(snapshot, lock));
  const rootPath = resolve(root);
  const limit = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const notifyUrls = notifyUrlAllowlist(deps.allowNotifyUrls ?? []);
  const maxSubscribers = deps.maxSubscribers ?? 10_000;
  // The runner's own default (this process's secret-looking variables), the token and the
  // configured secrets: kept out of responses and out of every file a run writes.
  const secrets = [
    ...new Set([deps.token, ...(deps.secrets ?? []), ...secretsOf(process.env)]),
  ].filter(Boolean);
  const redactor = new Redactor(secrets);
  const log = (line: string) => deps.log?.(redactor.text(line));
  const cache = new ReadCache<EncodedBody>(deps.readCacheMs ?? 200);
  const hooksFor = deps.hooks ?? (() => []);
  const events = new EventHub({ store, redactor, pollIntervalMs: deps.eventPollMs ?? 5000 });
  // A notification that could not be delivered is said in the server's log, never silently lost.
  const notifyOptions: NotifyOptions | undefined = deps.notify && {
    ...deps.notify,
    onDelivery(report) {
      if (!report.delivered) {
        log(
          `notification ${report.event} to ${report.target} not delivered after ${report.attempts} attempt(s): ${report.error ?? 'unknown'}`,
        );
      }
      deps.notify?.onDelivery?.(report);
    },
  };

  const runs = new SprintRuns({
    // Pause, stop and cancel of runs this server does not drive run no agent.
    controlRunner: new SprintRunner({ store, agents: new AgentRegistry(), secrets }),
    async createRunner(sprintId, agent) {
      const { definition, state } = await store.load(sprintId);
      const todo = definition.tasks.filter((t) => state.tasks[t.id]?.status !== 'done');
      const registry = runRegistry(agents, definition.config, todo, agent);
      // The check `sprint run` makes before it starts (exit 69 there): nothing is written when it fails.
      try {
        await preflightAgents(registry, todo, { env: agents.programEnv });
      } catch (error) {
        throw error instanceof AgentNotInstalledError
          ? agentNotInstalled(error, agents.names)
          : error;
      }
      return new SprintRunner({
        store,
        agents: registry,
        hooks: hooksFor(definition.config),
        secrets,
        notify: notifyOptions,
      });
    },
    onEvent(event: RunEvent) {
      changed(event.sprintId);
    },
    onRunEnd(sprintId) {
      changed(sprintId);
    },
    onRunError(sprintId, error) {
      changed(sprintId);
      log(`run of ${sprintId} failed: ${error instanceof Error ? error.message : String(error)}`);
    },
  });
  let closing = false;

  const app = new Hono();

  app.onError((error, c) => {
    const body = toProblem(error, c.req.path);
    if (body.status >= 500) {
      log(
        `${c.req.method} ${c.req.path} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
    const sprintId = (error as { sprintId?: unknown }).sprintId;
    if (body.code === 'SPRINT_NOT_FOUND' && typeof sprintId === 'string') {
      // The store's message names directories; the client needs only the id.
      body.detail = `Sprint not found: ${printable(sprintId)}`;
    } else if (body.code === 'SPRINT_FINISHED' && !(error instanceof ApiError)) {
      // Core says what is wrong; the fix an API client needs is a route.
      const status = (error as { status?: unknown }).status;
      const id = c.req.param('id');
      body.detail = `Sprint${id ? ` ${printable(id)}` : ''} is already ${typeof status === 'string' ? status : 'finished'}; it takes no more tasks or runs. Create a new sprint (POST /sprints) for the next work.`;
    }
    return problemResponse(
      c,
      scrub(body),
      body.status === 401
        ? { 'www-authenticate': 'Bearer realm="sprint"' }
        : body.status === 503 && body.code !== 'AGENT_NOT_INSTALLED'
          ? {
              'retry-after': String(
                error instanceof GithubRateLimited ? error.retryAfterSeconds : 5,
              ),
            }
          : undefined,
    );
  });
  /** Every string a client sees, with secrets redacted and the server's root shown as `<root>`. */
  const clean = (text: string) => redactor.text(text).replaceAll(rootPath, '<root>');
  const scrub = (body: Problem): Problem => ({
    ...body,
    ...(body.detail !== undefined ? { detail: clean(body.detail) } : {}),
    ...(body.instance !== undefined ? { instance: clean(body.instance) } : {}),
    ...(body.issues
      ? { issues: body.issues.map((i) => ({ field: clean(i.field), message: clean(i.message) })) }
      : {}),
  });
  let routeTable: ReturnType<typeof routeMethods> | undefined;
  app.notFound((c) => {
    // Read once every route is registered (a request comes after createApi returned).
    routeTable ??= routeMethods(app);
    const allowed = routeTable.find((r) => r.pattern.test(c.req.path))?.methods;
    // A route that answers the method but found nothing (an unknown asset) is a plain 404.
    if (allowed && !allowed.includes(c.req.method)) {
      const allow = allowed.join(', ');
      return problemResponse(
        c,
        scrub(
          toProblem(
            new ApiError(
              405,
              'METHOD_NOT_ALLOWED',
              `${c.req.method} is not allowed on ${c.req.path}; use ${allow}.`,
            ),
            c.req.path,
          ),
        ),
        { allow },
      );
    }
    return problemResponse(
      c,
      scrub(toProblem(new ApiError(404, 'NOT_FOUND', `No route ${c.req.method} ${c.req.path}.`))),
    );
  });

  const json = <S extends z.ZodType>(c: Context, schema: S, value: z.input<S>, status = 200) =>
    c.body(redactor.json(schema.parse(value)), status as 200, {
      'content-type': 'application/json; charset=utf-8',
    });

  // `?deep=1` (which agent CLIs are installed, versions, credentials present) needs the token.
  app.get('/health', async (c, next) => {
    if (c.req.query('deep') !== undefined) return next();
    return json(c, HealthSchema, { status: 'ok', version: VERSION });
  });

  if (deps.dashboard !== false) mountDashboard(app, deps.dashboard);
  const auth = bearerAuth(deps.token);
  app.use('*', async (c, next) =>
    (c.req.path === '/health' && c.req.query('deep') === undefined) ||
    (deps.dashboard !== false && isDashboardPath(c.req.path))
      ? next()
      : auth(c, next),
  );

  /** Forgets cached answers about a sprint (and the list, which shows it). */
  const changed = (id: string) => {
    cache.invalidate(id);
    cache.invalidate(LIST_KEY);
  };
  let openapi: string | undefined;
  const ctx: RouteContext = {
    store,
    agents,
    describe,
    runs,
    events,
    redactor,
    cache,
    limit,
    allowTaskCommands: deps.allowTaskCommands ?? false,
    notifyUrls,
    maxSubscribers,
    heartbeatMs: deps.heartbeatMs,
    notifyOptions,
    workers: deps.workers,
    isClosing: () => closing,
    clean,
    changed,
    idOf: (c) => checkSprintId(root, c.req.param('id') ?? ''),
    openApiJson: () => (openapi ??= JSON.stringify(buildOpenApiDocument(VERSION, agents.names))),
    json,
  };
  systemRoutes(app, ctx);
  sprintRoutes(app, ctx, deps.github ?? githubSourceFromEnv(process.env));
  runRoutes(app, ctx);
  taskRoutes(app, ctx);
  eventRoutes(app, ctx);

  return {
    app,
    runs,
    events,
    redactor,
    async shutdown(graceMs) {
      closing = true;
      // Runs stop first, so their last events (task-finished, sprint-status paused,
      // run-ended) reach the live streams before those end.
      await runs.shutdown(graceMs);
      await events.flush();
      events.close();
    },
  };
}

/** The order methods are listed in `Allow`. */
const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * Each registered path as a pattern (`:id` is one segment), with the methods
 * it answers (GET also answers HEAD): what the app's own routes say, for 405
 * and `Allow`.
 */
function routeMethods(app: Hono): { pattern: RegExp; methods: string[] }[] {
  const byPath = new Map<string, Set<string>>();
  for (const { method, path } of app.routes) {
    if (method === 'ALL') continue; // middleware
    const methods = byPath.get(path) ?? new Set();
    methods.add(method);
    if (method === 'GET') methods.add('HEAD');
    byPath.set(path, methods);
  }
  return [...byPath].map(([path, methods]) => ({
    pattern: new RegExp(
      `^${path
        .split(/:[^/]+/)
        .map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
        .join('[^/]+')}$`,
    ),
    methods: [...methods].sort((a, b) => METHOD_ORDER.indexOf(a) - METHOD_ORDER.indexOf(b)),
  }));
}
