import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Hono } from 'hono';
import { validate } from '../body.js';
import type { FrameSink } from '../event-hub.js';
import { ApiError } from '../problem.js';
import { EventsQuerySchema } from '../schemas.js';
import { openSseStream, SSE_HEADERS, writeSseToNode } from '../sse.js';
import { type RouteContext, shuttingDown } from './route-context.js';

/**
 * `GET /sprints/{id}/events`: the sprint's events as a stream (SSE), replayed
 * after `Last-Event-ID` or `?after=`, then live.
 */
export function eventRoutes(app: Hono, ctx: RouteContext): void {
  const { store, events, maxSubscribers, heartbeatMs, idOf } = ctx;

  app.get('/sprints/:id/events', async (c) => {
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
  });
}
