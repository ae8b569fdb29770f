import {
  type AddTasksResult,
  InvalidSprintError,
  type LockInfo,
  notifyTamperingOnce,
  type SprintSnapshot,
} from '@sprint/core';
import type { Handler, Hono } from 'hono';
import type { z } from 'zod';
import { readJson } from '../body.js';
import { configView } from '../config-view.js';
import { summaryExtras, taskExtras } from '../dashboard-fields.js';
import { EncodedBody, sendEncoded } from '../encoded-body.js';
import { checkNotifyUrls } from '../notify-allow.js';
import { PerTurn } from '../per-turn.js';
import { ApiError } from '../problem.js';
import {
  checkAgentNames,
  checkConfigCommands,
  checkTaskAgents,
  configInput,
  inRequestTerms,
  toTasks,
} from '../request-tasks.js';
import {
  AddTasksBodySchema,
  AddTasksResultSchema,
  CreateSprintBodySchema,
  RunResultSchema,
  SprintDetailSchema,
  SprintListSchema,
} from '../schemas.js';
import { type GithubSource, githubImportHandler } from './import-github.js';
import { ERRORS, handle, type Operations, withBodyErrors } from './operation.js';
import { LIST_KEY, links, publicRun, type RouteContext } from './route-context.js';

/**
 * The headers of an answer from the read cache: a client (the dashboard's browser) keeps it
 * and asks again with its ETag, for a 304 while the sprint is unchanged.
 */
const CACHED_JSON = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'private, no-cache',
};

/** The operations of this module, by operationId. */
export const sprintOperations = {
  listSprints: {
    method: 'get',
    path: '/sprints',
    summary: 'Every sprint under the root, with status and progress',
    responses: { 200: ['The sprints', 'SprintList'], 401: ERRORS[401] },
  },
  createSprint: {
    method: 'post',
    path: '/sprints',
    summary: 'Create a sprint from a name, goals and tasks',
    body: 'CreateSprint',
    bodyRequired: true,
    responses: {
      201: ['Created; `Location` names it', 'SprintDetail'],
      401: ERRORS[401],
      409: ERRORS[409],
      ...withBodyErrors,
      422: [
        "A field is invalid (named in `issues`), or a `config.notify` URL is not among those the server allows (code NOTIFY_URL_NOT_ALLOWED; the server's `--allow-notify-urls`)",
        'Problem',
      ],
    },
  },
  getSprint: {
    method: 'get',
    path: '/sprints/{id}',
    summary: "A sprint's status report, its configuration (`sprint.config`) and tasks",
    description:
      'A paused sprint says why in `sprint.reason` (`paused after task review (pause-after)`, `paused at the request of api (127.0.0.1)`, `max tasks reached (...)`) and how to go on in `sprint.next` (`POST /sprints/{id}/resume`). Webhook and Slack keys are never shown.',
    responses: { 200: ['The sprint', 'SprintDetail'], 401: ERRORS[401], 404: ERRORS[404] },
  },
  addTasks: {
    method: 'post',
    path: '/sprints/{id}/tasks',
    summary: 'Add tasks; ids already present are reported in `skipped`, never duplicated',
    body: 'AddTasks',
    bodyRequired: true,
    responses: {
      200: ['What was added and skipped', 'AddTasksResult'],
      401: ERRORS[401],
      404: ERRORS[404],
      409: ERRORS[409],
      ...withBodyErrors,
    },
  },
  importGithubIssues: {
    method: 'post',
    path: '/sprints/{id}/import/github',
    summary: 'Add one implement-issue task per GitHub issue (= `sprint import --github`)',
    description:
      "Issues already in the sprint are reported in `skipped`. GitHub is read with the server's token (`GITHUB_TOKEN`, `GH_TOKEN` or `gh auth token` where the server runs) at the server's `GITHUB_API_URL`; a request never carries one. A failure at GitHub changes nothing.",
    body: 'GithubImport',
    bodyRequired: true,
    responses: {
      200: ['What was added and skipped', 'GithubImportResult'],
      401: ERRORS[401],
      404: ERRORS[404],
      409: ERRORS[409],
      ...withBodyErrors,
      422: [
        'A field is invalid, or GitHub has no such repository or milestone (code GITHUB_NOT_FOUND)',
        'Problem',
      ],
      502: [
        "GitHub refused the server's token (GITHUB_AUTH) or could not be reached (GITHUB_UNAVAILABLE)",
        'Problem',
      ],
      503: ["GitHub's rate limit is used up; `Retry-After` says when it resets", 'Problem'],
    },
  },
  getResult: {
    method: 'get',
    path: '/sprints/{id}/result',
    summary: 'The result of the last run that ended',
    responses: {
      200: ['The last RunResult', 'RunResult'],
      401: ERRORS[401],
      404: ['No such sprint, or no run has ended yet (code NO_RESULT)', 'Problem'],
    },
  },
} satisfies Operations;

/**
 * The sprints and their tasks: `GET /sprints` (the list), `POST /sprints`,
 * `GET /sprints/{id}`, `POST /sprints/{id}/tasks`, `POST /sprints/{id}/import/github`
 * and `GET /sprints/{id}/result`. The list and a sprint's page are answered
 * from the read cache, encoded once per version of the sprint.
 */
export function sprintRoutes(app: Hono, ctx: RouteContext, github: GithubSource): void {
  const { store, runs, describe, redactor, cache, limit, allowTaskCommands, agents } = ctx;
  const { notifyOptions, clean, changed, idOf, json } = ctx;

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
  const listSprints: Handler = async (c) =>
    sendEncoded(c, await cache.get(LIST_KEY, listBody), 200, CACHED_JSON);

  const detailBody = async (id: string) => {
    const snapshot = await store.load(id);
    const lock = await store.inspectLock(id);
    const run = runs.active(id);
    noticeTampering(id, snapshot, lock);
    const report = describe(snapshot, lock) as {
      tasks?: { id: string }[];
      status?: string;
      running?: boolean;
    };
    const extras = taskExtras(snapshot);
    // A paused sprint waits for a resume (whatever paused it: a person, a pause-after, a limit).
    const waits = report.status === 'paused' && !report.running && !run;
    return new EncodedBody(
      redactor.json(
        SprintDetailSchema.parse({
          sprint: {
            ...report,
            ...(waits ? { next: `POST ${links(id).self}/resume` } : {}),
            tasks: report.tasks?.map((t) => ({ ...extras.get(t.id), ...t })),
            config: configView(snapshot.definition.config),
          },
          run: run ? publicRun(run) : null,
          links: links(id),
        }),
      ),
    );
  };

  const createSprint: Handler = async (c) => {
    const body = await readJson(c, CreateSprintBodySchema, limit);
    const tasks = toTasks(body.tasks ?? [], allowTaskCommands, true);
    checkConfigCommands(body.config, allowTaskCommands);
    checkNotifyUrls(body.config, ctx.notifyUrls);
    checkAgentNames(body.config, agents.names);
    checkTaskAgents(tasks, body.tasks ?? [], agents.names);
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
  };

  /** Reads of a sprint in one turn of the event loop share one version check (see PerTurn). */
  const versions = new PerTurn<Promise<string | undefined>>();
  const getSprint: Handler = async (c) => {
    const id = idOf(c);
    let body: EncodedBody;
    if (store.version) {
      // The version is read before the load, so a cached body is never older than its version.
      // Without one (a sprint that is gone, say), the load answers, and says why.
      const { version: versionOf } = store;
      const version = await versions.get(id, () =>
        versionOf.call(store, id).catch(() => undefined),
      );
      const key = version && `${version}|${runs.active(id)?.runId ?? ''}`;
      body = key ? await cache.get(id, () => detailBody(id), key) : await detailBody(id);
    } else {
      body = await cache.get(id, () => detailBody(id));
    }
    return sendEncoded(c, body, 200, CACHED_JSON);
  };

  const addTasks: Handler = async (c) => {
    const id = idOf(c);
    const body = await readJson(c, AddTasksBodySchema, limit);
    const tasks = toTasks(body.tasks, allowTaskCommands, false);
    checkTaskAgents(tasks, body.tasks, agents.names);
    let result: AddTasksResult;
    try {
      result = await store.addTasks(id, tasks);
    } catch (error) {
      throw error instanceof InvalidSprintError ? inRequestTerms(error, tasks) : error;
    }
    changed(id);
    return json(c, AddTasksResultSchema, result);
  };

  const importGithubIssues: Handler = githubImportHandler({
    store,
    github,
    limit,
    idOf,
    changed,
    json: (c, schema, value, status) => json(c, schema as z.ZodType, value, status),
  });

  const getResult: Handler = async (c) => {
    const id = idOf(c);
    await store.load(id);
    const result = await store.loadResult(id);
    if (!result) throw new ApiError(404, 'NO_RESULT', `Sprint ${id} has no finished run yet.`);
    return json(c, RunResultSchema, result);
  };

  handle(app, sprintOperations, {
    listSprints,
    createSprint,
    getSprint,
    addTasks,
    importGithubIssues,
    getResult,
  });
}
