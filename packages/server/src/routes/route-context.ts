import type { HttpBindings } from '@hono/node-server';
import type { NotifyOptions, SprintStore } from '@sprint/core';
import type { Context } from 'hono';
import type { z } from 'zod';
import type { AgentSetup, DescribeSprint } from '../app.js';
import type { EncodedBody } from '../encoded-body.js';
import type { EventHub } from '../event-hub.js';
import type { NotifyUrlAllowlist } from '../notify-allow.js';
import { ApiError } from '../problem.js';
import type { ReadCache } from '../read-cache.js';
import type { Redactor } from '../redact.js';
import type { WorkerList } from '../schemas.js';
import type { ActiveRun, SprintRuns } from '../sprint-runs.js';

/** What the route modules share: the server's parts and the helpers every answer uses. */
export interface RouteContext {
  store: SprintStore;
  agents: AgentSetup;
  describe: DescribeSprint;
  runs: SprintRuns;
  events: EventHub;
  redactor: Redactor;
  /** Encoded answers of `GET /sprints` and `GET /sprints/{id}`. */
  cache: ReadCache<EncodedBody>;
  /** Request body limit in bytes. */
  limit: number;
  allowTaskCommands: boolean;
  /** The notification URLs requests may name. */
  notifyUrls: NotifyUrlAllowlist;
  maxSubscribers: number;
  heartbeatMs: number | undefined;
  notifyOptions: NotifyOptions | undefined;
  workers: (() => Promise<WorkerList['workers']>) | undefined;
  /** Whether the server is shutting down (no new runs or streams). */
  isClosing(): boolean;
  /** A string as a client may see it: secrets redacted, the server's root shown as `<root>`. */
  clean(text: string): string;
  /** Forgets cached answers about a sprint (and the list, which shows it). */
  changed(id: string): void;
  /** The request's sprint id, checked to stay under the root. */
  idOf(c: Context): string;
  /** The OpenAPI document of this server (its agents named), as JSON. */
  openApiJson(): string;
  /** A JSON answer, checked against its schema and redacted. */
  json<S extends z.ZodType>(c: Context, schema: S, value: z.input<S>, status?: number): Response;
}

/** The key of the sprints list in the read cache (not a valid sprint id, so it never collides). */
export const LIST_KEY = '/sprints';

export function links(id: string) {
  const self = `/sprints/${encodeURIComponent(id)}`;
  return { self, events: `${self}/events`, result: `${self}/result` };
}

export function publicRun(run: ActiveRun) {
  return {
    runId: run.runId,
    kind: run.kind,
    startedAt: run.startedAt,
    ...(run.agent ? { agent: run.agent } : {}),
  };
}

/** Who asked, for an event: the API and the client's address (every client holds the one token). */
export function requester(c: Context): string {
  const address = (c.env as HttpBindings | undefined)?.incoming?.socket?.remoteAddress;
  return address ? `api (${address})` : 'api';
}

/** An id as it may be shown: printable ASCII, at most 80 characters. */
export function printable(id: string): string {
  const clean = id.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 80 ? `${clean.slice(0, 77)}...` : clean;
}

export function shuttingDown() {
  return new ApiError(503, 'SHUTTING_DOWN', 'The server is shutting down.');
}
