import { z } from 'zod';
import { ProblemSchema } from './problem.js';
import { eventOperations } from './routes/events.js';
import type { Operation } from './routes/operation.js';
import { runOperations } from './routes/runs.js';
import { sprintOperations } from './routes/sprints.js';
import { systemOperations } from './routes/system.js';
import { taskOperations } from './routes/tasks.js';
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

const idParam = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The sprint id: its directory or document name under the root.',
  schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' },
};

/** Every route, as its module defines it. */
const OPERATIONS: Record<string, Operation> = {
  ...systemOperations,
  ...sprintOperations,
  ...runOperations,
  ...taskOperations,
  ...eventOperations,
};

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
  for (const [operationId, op] of Object.entries(OPERATIONS)) {
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
      operationId,
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
