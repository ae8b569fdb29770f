import { resolve } from 'node:path';
import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import {
  type AddTasksResult,
  AGENT_REQUIREMENTS,
  AgentRegistry,
  describeSprint,
  diagnoseAgents,
  InvalidSprintError,
  type LockInfo,
  type NotifyOptions,
  notifyTamperingOnce,
  type RunEvent,
  retryTask,
  type SprintConfig,
  type SprintHook,
  SprintRunner,
  type SprintSnapshot,
  type SprintStore,
  skipTask,
  type Task,
  type TaskChange,
  taskFromFields,
  validateTasks,
} from '@sprint/core';
import { type Context, Hono } from 'hono';
import type { z } from 'zod';
import { bearerAuth } from './auth.js';
import { DEFAULT_MAX_BODY_BYTES, readJson, validate } from './body.js';
import { isDashboardPath, mountDashboard } from './dashboard.js';
import { summaryExtras, taskExtras } from './dashboard-fields.js';
import { EncodedBody, sendEncoded } from './encoded-body.js';
import { EventHub, type FrameSink } from './event-hub.js';
import { buildOpenApiDocument, documentedRoutes } from './openapi.js';
import { ApiError, type FieldIssue, type Problem, problemResponse, toProblem } from './problem.js';
import { ReadCache } from './read-cache.js';
import { Redactor, secretsOf } from './redact.js';
import {
  GithubRateLimited,
  type GithubSource,
  githubImportHandler,
  githubSourceFromEnv,
} from './routes/import-github.js';
import {
  AddTasksBodySchema,
  AddTasksResultSchema,
  AnswerBodySchema,
  CancelBodySchema,
  ControlOutcomeSchema,
  CreateSprintBodySchema,
  EmptyBodySchema,
  EventsQuerySchema,
  HealthDeepSchema,
  HealthSchema,
  type ResumeBody,
  ResumeBodySchema,
  RunAcceptedSchema,
  RunBodySchema,
  RunResultSchema,
  SkipBodySchema,
  type SprintConfigBody,
  SprintDetailSchema,
  SprintListSchema,
  type TaskBody,
  TaskChangeSchema,
  type WorkerList,
  WorkerListSchema,
} from './schemas.js';
import { checkSprintId } from './sprint-id.js';
import { type ActiveRun, SprintRuns } from './sprint-runs.js';
import { openSseStream, SSE_HEADERS, writeSseToNode } from './sse.js';
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
      const { definition } = await store.load(sprintId);
      return new SprintRunner({
        store,
        agents: agents.registry(definition.config, agent),
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
      // Core's message points at the CLI (`sprint init`); say what to do here.
      const status = (error as { status?: unknown }).status;
      const id = c.req.param('id');
      body.detail = `Sprint${id ? ` ${printable(id)}` : ''} is already ${typeof status === 'string' ? status : 'finished'}; it takes no more tasks or runs. Create a new sprint (POST /sprints) for the next work.`;
    }
    return problemResponse(
      c,
      scrub(body),
      body.status === 401
        ? { 'www-authenticate': 'Bearer realm="sprint"' }
        : body.status === 503
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
  app.notFound((c) => {
    const allowed = allowedMethods(c.req.path);
    if (allowed) {
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

  app.get('/health', async (c) => {
    const offered = AGENT_REQUIREMENTS.filter((r) => agents.names.includes(r.name));
    const diagnoses = await diagnoseAgents({ agents: offered, timeoutMs: 30_000 });
    return json(c, HealthDeepSchema, { status: 'ok', version: VERSION, agents: diagnoses });
  });

  let openapi: string | undefined;
  app.get('/openapi.json', (c) => {
    openapi ??= JSON.stringify(buildOpenApiDocument(VERSION, agents.names));
    return c.body(openapi, 200, { 'content-type': 'application/json; charset=utf-8' });
  });

  const idOf = (c: Context) => checkSprintId(root, c.req.param('id') ?? '');
  const links = (id: string) => {
    const self = `/sprints/${encodeURIComponent(id)}`;
    return { self, events: `${self}/events`, result: `${self}/result` };
  };

  /** The key of the list in the read cache (not a valid sprint id, so it never collides). */
  const LIST = '/sprints';
  /**
   * Tampering found on opening a sprint outside a run (the list or its page): notified once per
   * finding, in the background. A run's own runner notifies what it finds.
   */
  const noticeTampering = (id: string, snapshot: SprintSnapshot, lock: LockInfo | null) => {
    if (snapshot.state.tampering?.length && !runs.active(id) && !lock?.alive) {
      void notifyTamperingOnce(snapshot, { ...notifyOptions, finalWaitMs: 0 });
    }
  };
  const listBody = async () => {
    const list = await store.list();
    const states = await Promise.all(
      list.map(async (s) => {
        if (s.invalid !== undefined) return undefined;
        try {
          const snapshot = await store.load(s.id);
          if (snapshot.state.tampering?.length)
            noticeTampering(s.id, snapshot, await store.inspectLock(s.id));
          return snapshot.state;
        } catch {
          return undefined;
        }
      }),
    );
    return new EncodedBody(
      redactor.json(
        SprintListSchema.parse({
          sprints: list.map((s, i) => ({
            ...(states[i] ? summaryExtras(states[i]) : {}),
            id: s.id,
            name: s.name,
            status: s.status,
            format: s.format,
            counts: s.counts,
            progress: s.counts.total ? (s.counts.done + s.counts.skipped) / s.counts.total : 0,
            created: s.created,
            updatedAt: s.updatedAt,
            running: runs.active(s.id) !== undefined,
            ...(s.invalid === undefined ? {} : { invalid: clean(s.invalid) }),
          })),
        }),
      ),
    );
  };
  /** Forgets cached answers about a sprint (and the list, which shows it). */
  const changed = (id: string) => {
    cache.invalidate(id);
    cache.invalidate(LIST);
  };

  app.get('/workers', async (c) =>
    json(c, WorkerListSchema, { workers: deps.workers ? await deps.workers() : [] }),
  );

  app.get('/sprints', async (c) =>
    sendEncoded(c, await cache.get(LIST, listBody), 200, CACHED_JSON),
  );

  const detailBody = async (id: string) => {
    const snapshot = await store.load(id);
    const lock = await store.inspectLock(id);
    const run = runs.active(id);
    noticeTampering(id, snapshot, lock);
    const report = describe(snapshot, lock) as { tasks?: { id: string }[] };
    const extras = taskExtras(snapshot);
    return new EncodedBody(
      redactor.json(
        SprintDetailSchema.parse({
          sprint: {
            ...report,
            tasks: report.tasks?.map((t) => ({ ...extras.get(t.id), ...t })),
          },
          run: run ? publicRun(run) : null,
          links: links(id),
        }),
      ),
    );
  };

  app.post('/sprints', async (c) => {
    const body = await readJson(c, CreateSprintBodySchema, limit);
    const tasks = toTasks(body.tasks ?? [], deps.allowTaskCommands ?? false, true);
    checkAgentNames(body.config, agents.names);
    const id = await store.create({
      name: body.name,
      goals: body.goals,
      notes: body.notes,
      owner: body.owner,
      config: body.config ? configInput(body.config) : undefined,
      tasks,
    });
    changed(id);
    c.header('location', links(id).self);
    return sendEncoded(c, await detailBody(id), 201, CACHED_JSON);
  });

  app.get('/sprints/:id', async (c) => {
    const id = idOf(c);
    let body: EncodedBody;
    if (store.version) {
      // The version is read before the load, so a cached body is never older than its version.
      // Without one (a sprint that is gone, say), the load answers, and says why.
      const version = await store.version(id).catch(() => undefined);
      const key = version && `${version}|${runs.active(id)?.runId ?? ''}`;
      body = key ? await cache.get(id, () => detailBody(id), key) : await detailBody(id);
    } else {
      body = await cache.get(id, () => detailBody(id));
    }
    return sendEncoded(c, body, 200, CACHED_JSON);
  });

  app.post('/sprints/:id/tasks', async (c) => {
    const id = idOf(c);
    const body = await readJson(c, AddTasksBodySchema, limit);
    const tasks = toTasks(body.tasks, deps.allowTaskCommands ?? false, false);
    let result: AddTasksResult;
    try {
      result = await store.addTasks(id, tasks);
    } catch (error) {
      throw error instanceof InvalidSprintError ? inRequestTerms(error, tasks) : error;
    }
    changed(id);
    return json(c, AddTasksResultSchema, result);
  });

  app.post(
    '/sprints/:id/import/github',
    githubImportHandler({
      store,
      github: deps.github ?? githubSourceFromEnv(process.env),
      limit,
      idOf,
      changed,
      json: (c, schema, value, status) => json(c, schema as z.ZodType, value, status),
    }),
  );

  const startRun = async (c: Context, kind: 'run' | 'resume') => {
    const id = idOf(c);
    if (closing) throw shuttingDown();
    const body: ResumeBody = await readJson(
      c,
      kind === 'run' ? RunBodySchema : ResumeBodySchema,
      limit,
    );
    if (body.agent !== undefined && !agents.names.includes(body.agent)) {
      throw unknownAgent('agent', body.agent, agents.names);
    }
    await store.load(id); // 404 before anything starts
    const run = await runs.start(id, kind, body.agent, {
      maxIterations: body.maxIterations,
      concurrency: body.concurrency,
      maxCostUsd: body.maxCostUsd,
      taskTimeoutMs: body.taskTimeout,
      ...(body.answer !== undefined ? { answer: body.answer } : {}),
    });
    changed(id);
    c.header('location', links(id).self);
    return json(c, RunAcceptedSchema, { ...publicRun(run), sprintId: id, links: links(id) }, 202);
  };
  app.post('/sprints/:id/run', (c) => startRun(c, 'run'));
  app.post('/sprints/:id/resume', (c) => startRun(c, 'resume'));

  app.post('/sprints/:id/answer', async (c) => {
    const id = idOf(c);
    if (closing) throw shuttingDown();
    const body = await readJson(c, AnswerBodySchema, limit);
    const { state } = await store.load(id);
    const open = state.status === 'needs-human' ? state.humanNeeded : undefined;
    if (!open) {
      throw new ApiError(
        409,
        'NO_QUESTION',
        `Sprint ${id} has no open question (status ${state.status}); there is nothing to answer.`,
      );
    }
    if (body.taskId !== undefined && body.taskId !== open.taskId) {
      throw new ApiError(
        409,
        'QUESTION_CHANGED',
        `The open question of sprint ${id} is task ${open.taskId}'s, not ${printable(body.taskId)}'s: read it again (GET /sprints/${id}) before answering.`,
      );
    }
    const run = await runs.start(id, 'resume', undefined, { answer: body.answer });
    changed(id);
    c.header('location', links(id).self);
    return json(c, RunAcceptedSchema, { ...publicRun(run), sprintId: id, links: links(id) }, 202);
  });

  const control = async (c: Context, action: 'pause' | 'stop' | 'cancel') => {
    const id = idOf(c);
    let reason: string | undefined;
    if (action === 'cancel') reason = (await readJson(c, CancelBodySchema, limit)).reason;
    else await readJson(c, EmptyBodySchema, limit);
    await store.load(id);
    const outcome =
      action === 'pause'
        ? await runs.pause(id)
        : action === 'stop'
          ? await runs.stop(id)
          : await runs.cancel(id, reason!);
    changed(id);
    if (outcome.outcome === 'not-running') {
      throw action === 'cancel'
        ? new ApiError(
            409,
            'SPRINT_FINISHED',
            `Sprint ${id} is already ${outcome.status}; there is nothing to cancel.`,
          )
        : new ApiError(
            409,
            'NOT_RUNNING',
            `Sprint ${id} is not running (status ${outcome.status}); there is nothing to ${action}.`,
          );
    }
    return json(c, ControlOutcomeSchema, outcome, outcome.outcome === 'requested' ? 202 : 200);
  };
  app.post('/sprints/:id/pause', (c) => control(c, 'pause'));
  app.post('/sprints/:id/stop', (c) => control(c, 'stop'));
  app.post('/sprints/:id/cancel', (c) => control(c, 'cancel'));

  /** Who asked, for a task's event: the API and the client's address (every client holds the one token). */
  const requester = (c: Context) => {
    const address = (c.env as HttpBindings | undefined)?.incoming?.socket?.remoteAddress;
    return address ? `api (${address})` : 'api';
  };
  // Skip and retry change one task while no run holds the sprint (core's skipTask / retryTask).
  const taskChanged = (c: Context, id: string, change: TaskChange) => {
    changed(id);
    const event = change.event.type === 'task-status' ? change.event : undefined;
    return json(c, TaskChangeSchema, {
      sprintId: id,
      taskId: change.taskId,
      from: change.from,
      to: change.to,
      reason: event?.reason,
      requestedBy: event?.requestedBy ?? 'api',
    });
  };
  app.post('/sprints/:id/tasks/:taskId/skip', async (c) => {
    const id = idOf(c);
    const { reason } = await readJson(c, SkipBodySchema, limit);
    const taskId = c.req.param('taskId');
    return taskChanged(
      c,
      id,
      await skipTask(store, id, taskId, { requestedBy: requester(c), reason }),
    );
  });
  app.post('/sprints/:id/tasks/:taskId/retry', async (c) => {
    const id = idOf(c);
    await readJson(c, EmptyBodySchema, limit);
    const taskId = c.req.param('taskId');
    return taskChanged(c, id, await retryTask(store, id, taskId, { requestedBy: requester(c) }));
  });

  app.get('/sprints/:id/result', async (c) => {
    const id = idOf(c);
    await store.load(id);
    const result = await store.loadResult(id);
    if (!result) throw new ApiError(404, 'NO_RESULT', `Sprint ${id} has no finished run yet.`);
    return json(c, RunResultSchema, result);
  });

  app.get('/sprints/:id/events', async (c) => {
    const id = idOf(c);
    if (closing) throw shuttingDown();
    const lastEventId = c.req.header('last-event-id');
    let after: number | 'now' = 0;
    if (lastEventId !== undefined && lastEventId.trim() !== '') {
      if (!/^\d{1,15}$/.test(lastEventId.trim())) {
        throw new ApiError(
          422,
          'VALIDATION_FAILED',
          'Last-Event-ID must be the id of an event (a number).',
          {
            issues: [{ field: 'Last-Event-ID', message: 'expected a non-negative integer' }],
          },
        );
      }
      after = Number(lastEventId.trim());
    } else {
      after = validate(EventsQuerySchema, c.req.query()).after ?? 0;
    }
    // HEAD learns the media type without holding a subscription open.
    if (c.req.method === 'HEAD') {
      await store.load(id);
      return c.body(null, 200, SSE_HEADERS);
    }
    if (events.subscriberCount >= maxSubscribers) {
      throw new ApiError(
        503,
        'TOO_MANY_SUBSCRIBERS',
        `The server serves at most ${maxSubscribers} event streams.`,
      );
    }
    // A missing sprint fails in `attach`, before any byte is written: a plain 404.
    const options = {
      attach: (sink: FrameSink) => events.subscribe(id, after, sink),
      heartbeatMs: deps.heartbeatMs,
    };
    const outgoing = (c.env as Partial<HttpBindings> | undefined)?.outgoing;
    if (outgoing) {
      await writeSseToNode(outgoing, options);
      return RESPONSE_ALREADY_SENT;
    }
    return new Response(await openSseStream(options), { status: 200, headers: SSE_HEADERS });
  });

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

/**
 * The headers of an answer from the read cache: a client (the dashboard's browser) keeps it
 * and asks again with its ETag, for a 304 while the sprint is unchanged.
 */
const CACHED_JSON = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'private, no-cache',
};

/** Each documented path as a pattern (`{id}` is one segment), with the methods it answers. */
const ROUTE_METHODS: { pattern: RegExp; methods: string[] }[] = (() => {
  const byPath = new Map<string, string[]>();
  for (const { method, path } of documentedRoutes()) {
    const methods = byPath.get(path) ?? [];
    methods.push(method, ...(method === 'GET' ? ['HEAD'] : []));
    byPath.set(path, methods);
  }
  return [...byPath].map(([path, methods]) => ({
    pattern: new RegExp(
      `^${path
        .split(/\{[^}]+\}/)
        .map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
        .join('[^/]+')}$`,
    ),
    methods: [...new Set(methods)],
  }));
})();

/** The methods a known path answers (for 405 and `Allow`), or undefined for an unknown path. */
function allowedMethods(path: string): string[] | undefined {
  return ROUTE_METHODS.find((r) => r.pattern.test(path))?.methods;
}

function publicRun(run: ActiveRun) {
  return {
    runId: run.runId,
    kind: run.kind,
    startedAt: run.startedAt,
    ...(run.agent ? { agent: run.agent } : {}),
  };
}

/** An id as it may be shown: printable ASCII, at most 80 characters. */
/**
 * The store's verdict on the sprint with the new tasks (a dependency on a
 * task it does not have, a cycle) in terms of the request: `tasks.1.dependsOn`.
 */
function inRequestTerms(error: InvalidSprintError, tasks: Task[]): ApiError {
  const index = new Map(tasks.map((t, i) => [t.id, i]));
  const issues: FieldIssue[] = error.issues.map((issue) => {
    const taskId = (issue as { taskId?: string }).taskId;
    const i = taskId === undefined ? undefined : index.get(taskId);
    return {
      field: i === undefined ? (issue.field ?? 'tasks') : requestField(i, issue.field),
      message: issue.message,
    };
  });
  return new ApiError(
    422,
    'VALIDATION_FAILED',
    `Invalid tasks: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
    { issues },
  );
}

function printable(id: string): string {
  const clean = id.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 80 ? `${clean.slice(0, 77)}...` : clean;
}

function shuttingDown() {
  return new ApiError(503, 'SHUTTING_DOWN', 'The server is shutting down.');
}

function unknownAgent(field: string, name: string, names: readonly string[]) {
  return new ApiError(
    422,
    'UNKNOWN_AGENT',
    `No agent "${name}" is configured on this server (configured: ${names.join(', ') || 'none'}).`,
    { issues: [{ field, message: `expected one of ${names.join(', ')}` }] },
  );
}

function checkAgentNames(config: SprintConfigBody | undefined, names: readonly string[]): void {
  if (!config) return;
  if (config.agent !== undefined && !names.includes(config.agent)) {
    throw unknownAgent('config.agent', config.agent, names);
  }
  for (const [type, name] of Object.entries(config.agents ?? {})) {
    if (!names.includes(name)) throw unknownAgent(`config.agents.${type}`, name, names);
  }
}

/** The request's config as SPRINT.yaml writes it (kebab-case keys). */
function configInput(config: SprintConfigBody): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (config.maxTasks !== undefined) out['max-tasks'] = config.maxTasks;
  if (config.timeBox !== undefined) out['time-box'] = config.timeBox;
  if (config.autoCommit !== undefined) out['auto-commit'] = config.autoCommit;
  if (config.maxIterations !== undefined) out['max-iterations'] = config.maxIterations;
  if (config.maxCostUsd !== undefined) out['max-cost-usd'] = config.maxCostUsd;
  if (config.taskTimeout !== undefined) out['task-timeout'] = durationText(config.taskTimeout);
  if (config.concurrency !== undefined) out.concurrency = config.concurrency;
  if (config.retry) {
    const retry: Record<string, unknown> = {};
    if (config.retry.maxAttempts !== undefined) retry['max-attempts'] = config.retry.maxAttempts;
    if (config.retry.delay !== undefined) retry.delay = durationText(config.retry.delay);
    if (config.retry.backoff !== undefined) retry.backoff = config.retry.backoff;
    out.retry = retry;
  }
  if (config.agent !== undefined) out.agent = config.agent;
  if (config.agents !== undefined) out.agents = config.agents;
  return out;
}

/** Whole milliseconds (1 to 2^31-1, checked by the schema) as SPRINT.yaml writes a duration: `90s`, `250ms`. */
function durationText(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

const MODEL_FIELDS: Record<string, string> = {
  id: 'id',
  type: 'type',
  title: 'title',
  description: 'description',
  priority: 'priority',
  'depends-on': 'dependsOn',
  verify: 'verify',
  command: 'command',
};

/** Where a core issue's field is in the request: `tasks.2.dependsOn`, `tasks.0.fields.issue-number`. */
function requestField(index: number, field: string | undefined): string {
  const name = (field ?? '').replace(/^(task|tasks\[\d+\]|queue\[\d+\])\.?/, '');
  if (!name) return `tasks.${index}`;
  return `tasks.${index}.${MODEL_FIELDS[name] ?? `fields.${name}`}`;
}

/**
 * Whether a task field key names a shell command under any spelling a reader
 * may map to `verify` or `command` (case, `-`, `_`, camelCase).
 */
function isCommandKey(key: string): boolean {
  const bare = key.toLowerCase().replace(/[^a-z0-9]/g, '');
  return bare === 'verify' || bare === 'command';
}

/**
 * Request tasks as model tasks (core's `taskFromFields`: required fields of
 * the original types, ids by their convention); 422 naming each refused
 * field. `whole`: the tasks are the whole sprint, so dependencies must be among them.
 */
function toTasks(bodies: TaskBody[], allowCommands: boolean, whole: boolean): Task[] {
  const issues: FieldIssue[] = [];
  const tasks: Task[] = [];
  bodies.forEach((b, i) => {
    if (!allowCommands) {
      for (const key of ['command', 'verify'] as const) {
        if (b[key] !== undefined) {
          issues.push({
            field: `tasks.${i}.${key}`,
            message:
              'shell commands in requests are off on this server (start it with allowTaskCommands)',
          });
        }
      }
      // `fields` is written into the task as is, and a store reads `verify`/`command` (in any
      // spelling: `Verify`, `VERIFY`, `verify_`) back as the task's commands: refuse them there too.
      for (const key of Object.keys(b.fields ?? {})) {
        if (isCommandKey(key)) {
          issues.push({
            field: `tasks.${i}.fields.${key}`,
            message:
              'shell commands in requests are off on this server (start it with allowTaskCommands)',
          });
        }
      }
    }
    // Top-level keys win over the same keys in `fields` (type-specific fields as written).
    const fields: Record<string, unknown> = { ...b.fields };
    const model = {
      id: b.id,
      title: b.title,
      description: b.description,
      priority: b.priority,
      'depends-on': b.dependsOn,
      verify: b.verify,
      command: b.command,
    };
    for (const [key, value] of Object.entries(model)) if (value !== undefined) fields[key] = value;
    try {
      tasks.push(taskFromFields(b.type, fields, `tasks[${i}]`));
    } catch (error) {
      if (!(error instanceof InvalidSprintError)) throw error;
      for (const issue of error.issues) {
        const field = requestField(i, issue.field);
        // A field already refused above (a smuggled command) is reported once.
        if (!issues.some((seen) => seen.field === field)) {
          issues.push({ field, message: issue.message });
        }
      }
    }
  });
  if (!issues.length) {
    for (const issue of validateTasks(tasks)) {
      if (!whole && issue.field === 'depends-on' && !issue.message.includes('itself')) continue;
      issues.push({ field: requestField(issue.index, issue.field), message: issue.message });
    }
  }
  if (issues.length) {
    throw new ApiError(
      422,
      'VALIDATION_FAILED',
      `Invalid tasks: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
      { issues },
    );
  }
  return tasks;
}
