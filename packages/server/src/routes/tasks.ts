import type { HttpBindings } from '@hono/node-server';
import { retryTask, skipTask, type TaskChange } from '@sprint/core';
import type { Context, Hono } from 'hono';
import { readJson } from '../body.js';
import { EmptyBodySchema, SkipBodySchema, TaskChangeSchema } from '../schemas.js';
import type { RouteContext } from './route-context.js';

/** One task changed while no run holds the sprint: `POST /sprints/{id}/tasks/{taskId}/skip` and `retry`. */
export function taskRoutes(app: Hono, ctx: RouteContext): void {
  const { store, limit, changed, idOf, json } = ctx;

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
}
