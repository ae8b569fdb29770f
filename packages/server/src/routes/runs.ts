import { SprintLockedError } from '@sprint/core';
import type { Context, Handler, Hono } from 'hono';
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
import { ERRORS, handle, type Operation, type Operations, withBodyErrors } from './operation.js';
import {
  links,
  printable,
  publicRun,
  type RouteContext,
  requester,
  shuttingDown,
} from './route-context.js';

/** Pause and stop: the same shape, told apart by what they do to the running tasks. */
function controlOperation(action: 'pause' | 'stop'): Operation {
  return {
    method: 'post',
    path: `/sprints/{id}/${action}`,
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
  };
}

/** A run's 422: a bad field, or tasks no agent of this server would take. */
const AGENT_ERRORS: [string, string] = [
  'A field is invalid (named in `issues`); an agent the body, the sprint or a task names is not offered here (`UNKNOWN_AGENT`); or some tasks would have no agent and the server has no default (`AGENT_REQUIRED`): send `agent`',
  'Problem',
];

/** The operations of this module, by operationId. */
export const runOperations = {
  runSprint: {
    method: 'post',
    path: '/sprints/{id}/run',
    summary: 'Start a run in the background',
    description:
      "Answers once the run holds the sprint's lock. Follow it with `GET /sprints/{id}/events`; its result is at `GET /sprints/{id}/result` when it ends.",
    body: 'RunOptions',
    responses: {
      202: ['Started; `Location` names the sprint', 'RunAccepted'],
      401: ERRORS[401],
      404: ERRORS[404],
      409: ['Already running (here or in another process), or finished', 'Problem'],
      503: [
        'The server is shutting down, or lacks the program of an agent the sprint would run (`AGENT_NOT_INSTALLED`)',
        'Problem',
      ],
      ...withBodyErrors,
      422: AGENT_ERRORS,
    },
  },
  resumeSprint: {
    method: 'post',
    path: '/sprints/{id}/resume',
    summary: 'Continue a paused, blocked or needs-human sprint, with an optional answer',
    body: 'ResumeOptions',
    responses: {
      202: ['Resumed; `Location` names the sprint', 'RunAccepted'],
      401: ERRORS[401],
      404: ERRORS[404],
      409: ['Already running, or finished', 'Problem'],
      503: [
        'The server is shutting down, or lacks the program of an agent the sprint would run (`AGENT_NOT_INSTALLED`)',
        'Problem',
      ],
      ...withBodyErrors,
      422: AGENT_ERRORS,
    },
  },
  answerSprint: {
    method: 'post',
    path: '/sprints/{id}/answer',
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
      503: [
        'The server is shutting down, or lacks the program of an agent the sprint would run (`AGENT_NOT_INSTALLED`)',
        'Problem',
      ],
      ...withBodyErrors,
      422: AGENT_ERRORS,
    },
  },
  pauseSprint: controlOperation('pause'),
  stopSprint: controlOperation('stop'),
  cancelSprint: {
    method: 'post',
    path: '/sprints/{id}/cancel',
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
} satisfies Operations;

/**
 * Runs of a sprint, with the CLI's semantics: `POST /sprints/{id}/run`,
 * `resume`, `answer` (= `resume --answer`), `pause`, `stop` and `cancel`.
 */
export function runRoutes(app: Hono, ctx: RouteContext): void {
  const { store, runs, agents, limit, changed, idOf, json } = ctx;

  const startRun = async (c: Context, kind: 'run' | 'resume') => {
    const id = idOf(c);
    if (ctx.isClosing()) throw shuttingDown();
    await store.load(id); // 404 before anything starts
    // A sprint another run holds is 409 whatever the body asks (its agent included).
    const lock = await store.inspectLock(id);
    if (lock?.alive) throw new SprintLockedError(id, lock);
    const body: ResumeBody = await readJson(
      c,
      kind === 'run' ? RunBodySchema : ResumeBodySchema,
      limit,
    );
    if (body.agent !== undefined && !agents.names.includes(body.agent)) {
      throw unknownAgent('agent', body.agent, agents.names);
    }
    const run = await runs.start(id, kind, body.agent, {
      maxIterations: body.maxIterations,
      concurrency: body.concurrency,
      maxCostUsd: body.maxCostUsd,
      taskTimeoutMs: body.taskTimeout,
      isolation: body.isolation,
      ...(body.answer !== undefined ? { answer: body.answer } : {}),
    });
    changed(id);
    c.header('location', links(id).self);
    return json(c, RunAcceptedSchema, { ...publicRun(run), sprintId: id, links: links(id) }, 202);
  };
  const runSprint: Handler = (c) => startRun(c, 'run');
  const resumeSprint: Handler = (c) => startRun(c, 'resume');

  const answerSprint: Handler = async (c) => {
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
    if (body.agent !== undefined && !agents.names.includes(body.agent)) {
      throw unknownAgent('agent', body.agent, agents.names);
    }
    const run = await runs.start(id, 'resume', body.agent, { answer: body.answer });
    changed(id);
    c.header('location', links(id).self);
    return json(c, RunAcceptedSchema, { ...publicRun(run), sprintId: id, links: links(id) }, 202);
  };

  const control = async (c: Context, action: 'pause' | 'stop' | 'cancel') => {
    const id = idOf(c);
    let reason: string | undefined;
    if (action === 'cancel') reason = (await readJson(c, CancelBodySchema, limit)).reason;
    else await readJson(c, EmptyBodySchema, limit);
    await store.load(id);
    const by = requester(c);
    const outcome =
      action === 'pause'
        ? await runs.pause(id, by)
        : action === 'stop'
          ? await runs.stop(id, by)
          : await runs.cancel(id, reason!, by);
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
  const pauseSprint: Handler = (c) => control(c, 'pause');
  const stopSprint: Handler = (c) => control(c, 'stop');
  const cancelSprint: Handler = (c) => control(c, 'cancel');

  handle(app, runOperations, {
    runSprint,
    resumeSprint,
    answerSprint,
    pauseSprint,
    stopSprint,
    cancelSprint,
  });
}
