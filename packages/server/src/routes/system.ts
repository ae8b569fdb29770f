import { AGENT_REQUIREMENTS, diagnoseAgents } from '@sprint/core';
import type { Hono } from 'hono';
import { buildOpenApiDocument } from '../openapi.js';
import { HealthDeepSchema, WorkerListSchema } from '../schemas.js';
import { VERSION } from '../version.js';
import type { RouteContext } from './route-context.js';

/**
 * The server itself, behind the token: `GET /health?deep=1` (which agent CLIs
 * are installed, versions, credentials present), `GET /openapi.json` and
 * `GET /workers` (the workers of a database store).
 */
export function systemRoutes(app: Hono, ctx: RouteContext): void {
  const { agents, json } = ctx;

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

  app.get('/workers', async (c) =>
    json(c, WorkerListSchema, { workers: ctx.workers ? await ctx.workers() : [] }),
  );
}
