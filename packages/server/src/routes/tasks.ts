import { retryTask, skipTask, type TaskChange } from '@sprint/core';
import type { Context, Handler, Hono } from 'hono';
import { readJson } from '../body.js';
import { EmptyBodySchema, SkipBodySchema, TaskChangeSchema } from '../schemas.js';
import { ERRORS, handle, type Operations, taskIdParam, withBodyErrors } from './operation.js';
import { type RouteContext, requester } from './route-context.js';

/** The operations of this module, by operationId. */
export const taskOperations = {
  skipTask: {
    method: 'post',
    path: '/sprints/{id}/tasks/{taskId}/skip',
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
  retryTask: {
    method: 'post',
    path: '/sprints/{id}/tasks/{taskId}/retry',
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
} satisfies Operations;

/** One task changed while no run holds the sprint: `POST /sprints/{id}/tasks/{taskId}/skip` and `retry`. */
export function taskRoutes(app: Hono, ctx: RouteContext): void {
  const { store, limit, changed, idOf, json } = ctx;

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
  const skip: Handler = async (c) => {
    const id = idOf(c);
    const { reason } = await readJson(c, SkipBodySchema, limit);
    // Always there: the route's path has it.
    const taskId = c.req.param('taskId') ?? '';
    return taskChanged(
      c,
      id,
      await skipTask(store, id, taskId, { requestedBy: requester(c), reason }),
    );
  };
  const retry: Handler = async (c) => {
    const id = idOf(c);
    await readJson(c, EmptyBodySchema, limit);
    // Always there: the route's path has it.
    const taskId = c.req.param('taskId') ?? '';
    return taskChanged(c, id, await retryTask(store, id, taskId, { requestedBy: requester(c) }));
  };

  handle(app, taskOperations, { skipTask: skip, retryTask: retry });
}
