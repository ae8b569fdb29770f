import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Handler, Hono } from 'hono';
import { validate } from '../body.js';
import type { FrameSink } from '../event-hub.js';
import { ApiError } from '../problem.js';
import { EventsQuerySchema } from '../schemas.js';
import { openSseStream, SSE_HEADERS, writeSseToNode } from '../sse.js';
import { ERRORS, handle, type Operations } from './operation.js';
import { type RouteContext, shuttingDown } from './route-context.js';

/** The operations of this module, by operationId. */
export const eventOperations = {
  streamEvents: {
    method: 'get',
    path: '/sprints/{id}/events',
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
} satisfies Operations;

/**
 * `GET /sprints/{id}/events`: the sprint's events as a stream (SSE), replayed
 * after `Last-Event-ID` or `?after=`, then live.
 */
export function eventRoutes(app: Hono, ctx: RouteContext): void {
  const { store, events, maxSubscribers, heartbeatMs, idOf } = ctx;

  const streamEvents: Handler = async (c) => {
    const id = idOf(c);
    if (ctx.isClosing()) throw shuttingDown();
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
      heartbeatMs: heartbeatMs,
    };
    const outgoing = (c.env as Partial<HttpBindings> | undefined)?.outgoing;
    if (outgoing) {
      await writeSseToNode(outgoing, options);
      return RESPONSE_ALREADY_SENT;
    }
    return new Response(await openSseStream(options), { status: 200, headers: SSE_HEADERS });
  };

  handle(app, eventOperations, { streamEvents });
}
