import { z } from 'zod';
import { ProblemSchema } from './problem.js';
import {
  AddTasksBodySchema,
  AddTasksResultSchema,
  AnswerBodySchema,
  CancelBodySchema,
  ControlOutcomeSchema,
  CreateSprintBodySchema,
  GithubImportBodySchema,
  GithubImportResultSchema,
  HealthSchema,
  ResumeBodySchema,
  RunAcceptedSchema,
  RunBodySchema,
  RunEventSchema,
  RunResultSchema,
  SkipBodySchema,
  SprintConfigBodySchema,
  SprintDetailSchema,
  SprintListSchema,
  SprintStatusReportSchema,
  SprintSummarySchema,
  TaskBodySchema,
  TaskChangeSchema,
  WorkerListSchema,
} from './schemas.js';

interface Operation {
  method: 'get' | 'post';
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  auth?: boolean;
  body?: string;
  bodyRequired?: boolean;
  /** status -> [description, component name or special body] */
  responses: Record<number, [string, string?]>;
  parameters?: unknown[];
}

const idParam = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The sprint id: its directory or document name under the root.',
  schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
};

const taskIdParam = {
  name: 'taskId',
  in: 'path',
  required: true,
  description: "The task's id in the sprint.",
  schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
};

const ERRORS = {
  401: ['Missing or wrong bearer token', 'Problem'],
  404: ['No such sprint', 'Problem'],
  400: ['Malformed JSON', 'Problem'],
  413: ['Body over the size limit', 'Problem'],
  415: ['Body not JSON', 'Problem'],
  422: ['A field is invalid (named in `issues`)', 'Problem'],
  409: ['Conflict: the sprint is running, finished or in the wrong state', 'Problem'],
} as const satisfies Record<number, [string, string]>;

const withBodyErrors = { 400: ERRORS[400], 413: ERRORS[413], 415: ERRORS[415], 422: ERRORS[422] };

const OPERATIONS: Operation[] = [
  {
    method: 'get',
    path: '/health',
    operationId: 'health',
    summary: 'Liveness check (no token needed)',
    auth: false,
    responses: { 200: ['The server is up', 'Health'] },
  },
  {
    method: 'get',
    path: '/workers',
    operationId: 'listWorkers',
    summary: 'The workers taking tasks from a database store (empty for file sprints)',
    responses: { 200: ['The workers', 'WorkerList'], 401: ERRORS[401] },
  },
  {
    method: 'get',
    path: '/sprints',
    operationId: 'listSprints',
    summary: 'Every sprint under the root, with status and progress',
    responses: { 200: ['The sprints', 'SprintList'], 401: ERRORS[401] },
  },
  {
    method: 'post',
    path: '/sprints',
    operationId: 'createSprint',
    summary: 'Create a sprint from a name, goals and tasks',
    body: 'CreateSprint',
    bodyRequired: true,
    responses: {
      201: ['Created; `Location` names it', 'SprintDetail'],
      401: ERRORS[401],
      409: ERRORS[409],
      ...withBodyErrors,
    },
  },
  {
    method: 'get',
    path: '/sprints/{id}',
    operationId: 'getSprint',
    summary: "A sprint's status report",
    responses: { 200: ['The sprint', 'SprintDetail'], 401: ERRORS[401], 404: ERRORS[404] },
  },
  {
    method: 'post',
    path: '/sprints/{id}/tasks',
    operationId: 'addTasks',
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
  {
    method: 'post',
    path: '/sprints/{id}/import/github',
    operationId: 'importGithubIssues',
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
  {
    method: 'post',
    path: '/sprints/{id}/run',
    operationId: 'runSprint',
    summary: 'Start a run in the background',
    description:
      "Answers once the run holds the sprint's lock. Follow it with `GET /sprints/{id}/events`; its result is at `GET /sprints/{id}/result` when it ends.",
    body: 'RunOptions',
    responses: {
      202: ['Started; `Location` names the sprint', 'RunAccepted'],
      401: ERRORS[401],
      404: ERRORS[404],
      409: ['Already running (here or in another process), or finished', 'Problem'],
      503: ['The server is shutting down', 'Problem'],
      ...withBodyErrors,
    },
  },
  {
    method: 'post',
    path: '/sprints/{id}/resume',
    operationId: 'resumeSprint',
    summary: 'Continue a paused, blocked or needs-human sprint, with an optional answer',
    body: 'ResumeOptions',
    responses: {
      202: ['Resumed; `Location` names the sprint', 'RunAccepted'],
      401: ERRORS[401],
      404: ERRORS[404],
      409: ['Already running, or finished', 'Problem'],
      503: ['The server is shutting down', 'Problem'],
      ...withBodyErrors,
    },
  },
  {
    method: 'post',
    path: '/sprints/{id}/answer',
    operationId: 'answerSprint',
    summary: "Answer the sprint's needs-human question and resume it (= `sprint resume --answer`)",
    description:
      "For a chat bot or a phone: the notification for `needs-human` carries this URL as `answerUrl` when a public URL is configured. With `taskId`, the answer is refused when the open question is another task's.",
    body: 'Answer',
    bodyRequired: true,
    responses: {
      202: ['Answered; the sprint resumes in the background', 'RunAccepted'],
      401: ERRORS[401],
      404: ERRORS[404],
      409: ["No open question, another task's question, or already running", 'Problem'],
      503: ['The server is shutting down', 'Problem'],
      ...withBodyErrors,
    },
  },
  ...(['pause', 'stop'] as const).map(
    (action): Operation => ({
      method: 'post',
      path: `/sprints/{id}/${action}`,
      operationId: `${action}Sprint`,
      summary:
        action === 'pause'
          ? 'Let the running tasks finish, then stop'
          : 'Stop the running agents now; their tasks rerun on resume',
      responses: {
        200: ['Applied directly (no runner was live)', 'ControlOutcome'],
        202: ['Asked of the live runner, here or in another process', 'ControlOutcome'],
        401: ERRORS[401],
        404: ERRORS[404],
        409: ['Not running: nothing to do', 'Problem'],
        ...withBodyErrors,
      },
    }),
  ),
  {
    method: 'post',
    path: '/sprints/{id}/cancel',
    operationId: 'cancelSprint',
    summary: 'End the sprint as cancelled, with a reason',
    body: 'Cancel',
    bodyRequired: true,
    responses: {
      200: ['Applied directly', 'ControlOutcome'],
      202: ['Asked of the live runner', 'ControlOutcome'],
      401: ERRORS[401],
      404: ERRORS[404],
      409: ['Already finished', 'Problem'],
      ...withBodyErrors,
    },
  },
  {
    method: 'post',
    path: '/sprints/{id}/tasks/{taskId}/skip',
    operationId: 'skipTask',
    summary: 'Skip a pending, failed or blocked task, with a reason (= `sprint skip`)',
    description:
      'The task becomes `skipped`; its `task-status` event records the reason and who asked (`requestedBy`). A skipped task counts as finished for its dependents. Refused while a run holds the sprint: pause or stop it first.',
    parameters: [taskIdParam],
    body: 'Skip',
    bodyRequired: true,
    responses: {
      200: ['Skipped', 'TaskChange'],
      401: ERRORS[401],
      404: ['No such sprint or task (code TASK_NOT_FOUND)', 'Problem'],
      409: [
        'A run holds the sprint, the sprint is finished, or the task cannot be skipped (TASK_NOT_CHANGEABLE)',
        'Problem',
      ],
      ...withBodyErrors,
    },
  },
  {
    method: 'post',
    path: '/sprints/{id}/tasks/{taskId}/retry',
    operationId: 'retryTask',
    summary: 'Put a blocked or skipped task back to pending for the next run (= `sprint retry`)',
    parameters: [taskIdParam],
    responses: {
      200: ['Pending again; resume the sprint to run it', 'TaskChange'],
      401: ERRORS[401],
      404: ['No such sprint or task (code TASK_NOT_FOUND)', 'Problem'],
      409: [
        'A run holds the sprint, the sprint is finished, or the task is not blocked or skipped (TASK_NOT_CHANGEABLE)',
        'Problem',
      ],
      ...withBodyErrors,
    },
  },
  {
    method: 'get',
    path: '/sprints/{id}/result',
    operationId: 'getResult',
    summary: 'The result of the last run that ended',
    responses: {
      200: ['The last RunResult', 'RunResult'],
      401: ERRORS[401],
      404: ['No such sprint, or no run has ended yet (code NO_RESULT)', 'Problem'],
    },
  },
  {
    method: 'get',
    path: '/sprints/{id}/events',
    operationId: 'streamEvents',
    summary: 'Server-Sent Events of every run event, agent tool calls included',
    description:
      'Each event is one `data:` line of JSON (a RunEvent) with `id:` its `seq`. Reconnect with `Last-Event-ID` (EventSource does) to replay what was missed from the event log; an id past the last event counts as the last event. Without it, `?after=<seq>` starts after that event and `?after=now` sends live events only; the default replays from the start.',
    parameters: [
      {
        name: 'Last-Event-ID',
        in: 'header',
        required: false,
        schema: { type: 'string', pattern: '^[0-9]+$' },
      },
      {
        name: 'after',
        in: 'query',
        required: false,
        schema: { oneOf: [{ type: 'integer', minimum: 0 }, { const: 'now' }] },
      },
    ],
    responses: {
      200: ['A text/event-stream of RunEvent', 'events'],
      401: ERRORS[401],
      404: ERRORS[404],
      422: ['Bad Last-Event-ID or `after`', 'Problem'],
      503: ['Too many subscribers, or shutting down', 'Problem'],
    },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'openapi',
    summary: 'This document',
    responses: { 200: ['OpenAPI 3.1', 'openapi'], 401: ERRORS[401] },
  },
];

const REQUESTS = {
  CreateSprint: CreateSprintBodySchema,
  TaskInput: TaskBodySchema,
  SprintConfigInput: SprintConfigBodySchema,
  AddTasks: AddTasksBodySchema,
  RunOptions: RunBodySchema,
  ResumeOptions: ResumeBodySchema,
  Cancel: CancelBodySchema,
  Skip: SkipBodySchema,
  Answer: AnswerBodySchema,
  GithubImport: GithubImportBodySchema,
};

const RESPONSES = {
  Health: HealthSchema,
  WorkerList: WorkerListSchema,
  SprintList: SprintListSchema,
  SprintSummary: SprintSummarySchema,
  SprintDetail: SprintDetailSchema,
  SprintStatusReport: SprintStatusReportSchema,
  AddTasksResult: AddTasksResultSchema,
  GithubImportResult: GithubImportResultSchema,
  RunAccepted: RunAcceptedSchema,
  ControlOutcome: ControlOutcomeSchema,
  TaskChange: TaskChangeSchema,
  RunResult: RunResultSchema,
  RunEvent: RunEventSchema,
  Problem: ProblemSchema,
};

function components(
  schemas: Record<string, z.ZodType>,
  io: 'input' | 'output',
): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const out = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  });
  const result: Record<string, unknown> = {};
  for (const [id, schema] of Object.entries(out.schemas)) {
    const { $schema: _, $id: __, ...rest } = schema as Record<string, unknown>;
    result[id] = rest;
  }
  return result;
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

/**
 * The OpenAPI 3.1 document of this API, generated from the same zod schemas
 * that validate the requests and responses.
 */
export function buildOpenApiDocument(
  version: string,
  agentNames: readonly string[] = [],
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const responses: Record<string, unknown> = {};
    for (const [status, [description, body]] of Object.entries(op.responses)) {
      let content: unknown;
      if (body === 'events') {
        // OpenAPI 3.1 has no item schema for streams (3.2's `itemSchema`): an extension names it.
        content = {
          'text/event-stream': {
            schema: { type: 'string', description: 'SSE frames; each `data:` is a RunEvent' },
            'x-item-schema': ref('RunEvent'),
          },
        };
      } else if (body === 'openapi') {
        content = { 'application/json': { schema: { type: 'object' } } };
      } else if (body === 'Problem') {
        content = { 'application/problem+json': { schema: ref('Problem') } };
      } else if (body) {
        content = { 'application/json': { schema: ref(body) } };
      }
      responses[status] = { description, ...(content ? { content } : {}) };
    }
    const operation: Record<string, unknown> = {
      operationId: op.operationId,
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      ...(op.auth === false ? { security: [] } : {}),
      parameters: [...(op.path.includes('{id}') ? [idParam] : []), ...(op.parameters ?? [])],
      ...(op.body
        ? {
            requestBody: {
              required: op.bodyRequired ?? false,
              content: { 'application/json': { schema: ref(op.body) } },
            },
          }
        : {}),
      responses,
    };
    paths[op.path] ??= {};
    paths[op.path]![op.method] = operation;
  }
  const schemas = { ...components(RESPONSES, 'output'), ...components(REQUESTS, 'input') };
  if (agentNames.length) {
    // The agents this server offers: the only values `agent` may take.
    for (const id of ['RunOptions', 'ResumeOptions']) {
      const agent = (schemas[id] as { properties?: Record<string, Record<string, unknown>> })
        .properties?.agent;
      if (agent) agent.enum = [...agentNames];
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'sprint API',
      version,
      description:
        'Run and watch sprints of AI coding agents. Every route but /health needs `Authorization: Bearer <token>`. Errors are `application/problem+json` with a stable `code`; a known path with a method it does not answer gives 405 `METHOD_NOT_ALLOWED` with an `Allow` header.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas,
    },
  };
}
