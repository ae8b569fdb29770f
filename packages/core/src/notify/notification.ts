import type { RunEvent } from '../model/events.js';
import type { TaskCounts } from '../model/fold.js';
import type { SprintStatus } from '../model/status.js';
import type { NotifyEvent } from './notify-target.js';

/** The payload's version: a receiver checks it; fields are only ever added within a version. */
export const NOTIFICATION_VERSION = 1;

/** What a run event says that a notification needs, before the sprint's numbers are added. */
export interface NotificationTrigger {
  event: NotifyEvent;
  taskId?: string;
  attempt?: number;
  /** Why: the blocked reason, the limit's detail, the failure's message, the tampering. */
  reason?: string;
  /** needs-human: what the agent asked. */
  question?: { reason: string; details?: string; options: string[] };
  /** rate-limit-wait: when the task may run again. */
  retryAt?: string;
  /** task-failed: whether the retry policy runs it again. */
  willRetry?: boolean;
}

/**
 * The notification a run event calls for, or undefined. Pure: the table of
 * which events notify lives here and nowhere else.
 *
 * - `sprint-status` to completed / blocked / needs-human
 * - `limit-reached` -> limit
 * - `task-finished` rate-limited -> rate-limit-wait; failed or timeout -> task-failed
 * - any event whose type names tampering -> tamper
 */
export function triggerFor(event: RunEvent): NotificationTrigger | undefined {
  // Tamper events come from the store's integrity checks; match them by name so
  // that their exact shape can grow without this table changing.
  if ((event.type as string).includes('tamper')) {
    const e = event as unknown as Record<string, unknown>;
    const detail = [e.detail, e.message, e.reason].find((v) => typeof v === 'string') as
      | string
      | undefined;
    const file = typeof e.file === 'string' ? `${e.file}: ` : '';
    const taskIds = Array.isArray(e.taskIds) ? e.taskIds.filter((t) => typeof t === 'string') : [];
    const taskId = typeof e.taskId === 'string' ? e.taskId : taskIds[0];
    return {
      event: 'tamper',
      ...(taskId && { taskId }),
      reason: `${file}${detail ?? 'a file of the runner was changed by someone else'}`,
    };
  }
  switch (event.type) {
    case 'sprint-status':
      if (event.to === 'completed') return { event: 'completed' };
      if (event.to === 'blocked') {
        const taskId = event.stopReason?.kind === 'blocked' ? event.stopReason.taskId : undefined;
        return { event: 'blocked', ...(taskId && { taskId }), reason: event.reason ?? 'blocked' };
      }
      if (event.to === 'needs-human' && event.humanNeeded) {
        const { taskId, reason, details, options } = event.humanNeeded;
        return {
          event: 'needs-human',
          taskId,
          reason,
          question: { reason, ...(details !== undefined && { details }), options: options ?? [] },
        };
      }
      return undefined;
    case 'limit-reached':
      return { event: 'limit', reason: `${event.limit}: ${event.detail}` };
    case 'task-finished':
      if (event.outcome === 'rate-limited') {
        return {
          event: 'rate-limit-wait',
          taskId: event.taskId,
          attempt: event.attempt,
          reason: event.error?.message ?? 'rate limited',
          ...(event.notBefore && { retryAt: event.notBefore }),
        };
      }
      if (event.outcome === 'failed' || event.outcome === 'timeout') {
        return {
          event: 'task-failed',
          taskId: event.taskId,
          attempt: event.attempt,
          reason: event.error?.message ?? event.result?.summary ?? event.outcome,
          willRetry: event.to === 'pending' || event.to === 'failed',
        };
      }
      return undefined;
    default:
      return undefined;
  }
}

/** The sprint's numbers at the moment of the trigger. */
export interface NotificationContext {
  sprintId: string;
  sprintName: string;
  status: SprintStatus;
  counts: TaskCounts;
  costUsd: number;
  at: string;
  /** The server's public URL (`https://sprint.example.com`), for links. */
  publicUrl?: string;
}

/**
 * The JSON body every target gets (version {@link NOTIFICATION_VERSION}).
 * Links appear only when a public URL is configured.
 */
export interface Notification extends NotificationTrigger {
  version: typeof NOTIFICATION_VERSION;
  at: string;
  sprint: { id: string; name: string; status: SprintStatus };
  counts: TaskCounts;
  costUsd: number;
  /** The sprint's page in the dashboard. */
  dashboardUrl?: string;
  /** needs-human: where to POST `{"answer": "..."}` with the API token. */
  answerUrl?: string;
}

/** Joins a trigger with the sprint's numbers into the payload. Pure. */
export function buildNotification(
  trigger: NotificationTrigger,
  ctx: NotificationContext,
): Notification {
  const base = ctx.publicUrl?.replace(/\/+$/, '');
  const id = encodeURIComponent(ctx.sprintId);
  return {
    version: NOTIFICATION_VERSION,
    at: ctx.at,
    sprint: { id: ctx.sprintId, name: ctx.sprintName, status: ctx.status },
    ...trigger,
    counts: { ...ctx.counts },
    costUsd: ctx.costUsd,
    ...(base && { dashboardUrl: `${base}/sprints/${id}` }),
    ...(base && trigger.event === 'needs-human' && { answerUrl: `${base}/sprints/${id}/answer` }),
  };
}

const HEADLINES: Record<NotifyEvent, string> = {
  completed: 'completed',
  blocked: 'is blocked',
  'needs-human': 'needs a human',
  limit: 'stopped at a limit',
  'rate-limit-wait': 'is waiting out a rate limit',
  'task-failed': 'had a task fail',
  tamper: 'found its files changed by someone else',
};

/** One line a person reads: `Sprint auth-rework needs a human (task x): Which database?` */
export function headline(n: Notification): string {
  const task = n.taskId ? ` (task ${n.taskId})` : '';
  const why = n.reason ? `: ${n.reason}` : '';
  return `Sprint ${n.sprint.name} ${HEADLINES[n.event]}${task}${why}`;
}
