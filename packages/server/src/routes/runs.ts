import type { Context, Hono } from 'hono';
import { readJson } from '../body.js';
import { ApiError } from '../problem.js';
import { unknownAgent } from '../request-tasks.js';
import {
  AnswerBodySchema,
  CancelBodySchema,
  ControlOutcomeSchema,
  EmptyBodySchema,
  type ResumeBody,
  ResumeBodySchema,
  RunAcceptedSchema,
  RunBodySchema,
} from '../schemas.js';
import { links, printable, publicRun, type RouteContext, shuttingDown } from './route-context.js';

/**
 * Runs of a sprint, with the CLI's semantics: `POST /sprints/{id}/run`,
 * `resume`, `answer` (= `resume --answer`), `pause`, `stop` and `cancel`.
 */
export function runRoutes(app: Hono, ctx: RouteContext): void {
  const { store, runs, agents, limit, changed, idOf, json } = ctx;

  const startRun = async (c: Context, kind: 'run' | 'resume') => {
    const id = idOf(c);
    if (ctx.isClosing()) throw shuttingDown();
    const body: ResumeBody = await readJson(
      c,
      kind === 'run' ? RunBodySchema : ResumeBodySchema,
      limit,
    );
    if (body.agent !== undefined && !agents.names.includes(body.agent)) {
      throw unknownAgent('agent', body.agent, agents.names);
    }
    await store.load(id); // 404 before anything starts
    const run = await runs.start(id, kind, body.agent, {
      maxIterations: body.maxIterations,
      concurrency: body.concurrency,
      maxCostUsd: body.maxCostUsd,
      taskTimeoutMs: body.taskTimeout,
      ...(body.answer !== undefined ? { answer: body.answer } : {}),
    });
    changed(id);
    c.header('location', links(id).self);
    return json(c, RunAcceptedSchema, { ...publicRun(run), sprintId: id, links: links(id) }, 202);
  };
  app.post('/sprints/:id/run', (c) => startRun(c, 'run'));
  app.post('/sprints/:id/resume', (c) => startRun(c, 'resume'));

  app.post('/sprints/:id/answer', async (c) => {
    const id = idOf(c);
    if (ctx.isClosing()) throw shuttingDown();
    const body = await readJson(c, AnswerBodySchema, limit);
    const { state } = await store.load(id);
    const open = state.status === 'needs-human' ? state.humanNeeded : undefined;
    if (!open) {
      throw new ApiError(
        409,
        'NO_QUESTION',
        `Sprint ${id} has no open question (status ${state.status}); there is nothing to answer.`,
      );
    }
    if (body.taskId !== undefined && body.taskId !== open.taskId) {
      throw new ApiError(
        409,
        'QUESTION_CHANGED',
        `The open question of sprint ${id} is task ${open.taskId}'s, not ${printable(body.taskId)}'s: read it again (GET /sprints/${id}) before answering.`,
      );
    }
    const run = await runs.start(id, 'resume', undefined, { answer: body.answer });
    changed(id);
    c.header('location', links(id).self);
    return json(c, RunAcceptedSchema, { ...publicRun(run), sprintId: id, links: links(id) }, 202);
  });

  const control = async (c: Context, action: 'pause' | 'stop' | 'cancel') => {
    const id = idOf(c);
    let reason: string | undefined;
    if (action === 'cancel') reason = (await readJson(c, CancelBodySchema, limit)).reason;
    else await readJson(c, EmptyBodySchema, limit);
    await store.load(id);
    const outcome =
      action === 'pause'
        ? await runs.pause(id)
        : action === 'stop'
          ? await runs.stop(id)
          : await runs.cancel(id, reason!);
    changed(id);
    if (outcome.outcome === 'not-running') {
      throw action === 'cancel'
        ? new ApiError(
            409,
            'SPRINT_FINISHED',
            `Sprint ${id} is already ${outcome.status}; there is nothing to cancel.`,
          )
        : new ApiError(
            409,
            'NOT_RUNNING',
            `Sprint ${id} is not running (status ${outcome.status}); there is nothing to ${action}.`,
          );
    }
    return json(c, ControlOutcomeSchema, outcome, outcome.outcome === 'requested' ? 202 : 200);
  };
  app.post('/sprints/:id/pause', (c) => control(c, 'pause'));
  app.post('/sprints/:id/stop', (c) => control(c, 'stop'));
  app.post('/sprints/:id/cancel', (c) => control(c, 'cancel'));
}
