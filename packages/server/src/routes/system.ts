import { AGENT_REQUIREMENTS, diagnoseAgents } from '@sprint/core';
import type { Handler, Hono } from 'hono';
import { HealthDeepSchema, WorkerListSchema } from '../schemas.js';
import { VERSION } from '../version.js';
import { ERRORS, handle, type Operations } from './operation.js';
import type { RouteContext } from './route-context.js';

/** The operations of this module, by operationId. */
export const systemOperations = {
  health: {
    method: 'get',
    path: '/health',
    summary: 'Liveness check (no token needed)',
    auth: false,
    responses: { 200: ['The server is up', 'Health'] },
  },
  listWorkers: {
    method: 'get',
    path: '/workers',
    summary: 'The workers taking tasks from a database store (empty for file sprints)',
    responses: { 200: ['The workers', 'WorkerList'], 401: ERRORS[401] },
  },
  openapi: {
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    responses: { 200: ['OpenAPI 3.1', 'openapi'], 401: ERRORS[401] },
  },
} satisfies Operations;

/**
 * The server itself, behind the token: `GET /health?deep=1` (which agent CLIs
 * are installed, versions, credentials present), `GET /openapi.json` and
 * `GET /workers` (the workers of a database store).
 */
export function systemRoutes(app: Hono, ctx: RouteContext): void {
  const { agents, json } = ctx;

  const health: Handler = async (c) => {
    const offered = AGENT_REQUIREMENTS.filter((r) => agents.names.includes(r.name));
    const diagnoses = await diagnoseAgents({ agents: offered, timeoutMs: 30_000 });
    return json(c, HealthDeepSchema, { status: 'ok', version: VERSION, agents: diagnoses });
  };

  const openapi: Handler = (c) =>
    c.body(ctx.openApiJson(), 200, { 'content-type': 'application/json; charset=utf-8' });

  const listWorkers: Handler = async (c) =>
    json(c, WorkerListSchema, {
      database: ctx.workers !== undefined,
      workers: ctx.workers ? await ctx.workers() : [],
    });

  handle(app, systemOperations, { health, openapi, listWorkers });
}
