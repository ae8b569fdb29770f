import {
  type AgentActivity,
  escapeControlsDeep,
  pauseText,
  plural,
  type RunEvent,
  type StopReason,
} from '@sprint/core';
import { createStyle, type Style, statusColor } from './style.js';
import { count, spend, truncate, usd } from './units.js';

const plain = createStyle(false);

/**
 * What an event holds came from agents, sprint files and people: its control
 * characters are shown, never sent to the terminal (see `escapeControls`).
 * Line breaks stay until the line is built, then fold into a space (a
 * truncated part folds them itself), as an event is one line.
 */
const safe = <T>(value: T): T => escapeControlsDeep(value, { newlines: true });
const oneLine = (line: string) => line.replace(/\s*\n\s*/g, ' ');

/** One line for what an agent is doing, like `tool Bash: npm test`. */
export function describeActivity(activity: AgentActivity, width = 160, style = plain): string {
  return oneLine(activityText(safe(activity), width, style));
}

function activityText(activity: AgentActivity, width: number, style: Style): string {
  switch (activity.kind) {
    case 'init':
      return `agent session${activity.sessionId ? ` ${activity.sessionId}` : ''}${activity.model ? ` (${activity.model})` : ''}`;
    case 'text':
      return `says: ${truncate(activity.text, width)}`;
    case 'tool-use':
      return `${style.magenta(`tool ${activity.tool}`)}: ${truncate(activity.input, width)}`;
    case 'tool-result':
      return `${activity.isError ? style.red('tool error') : 'tool result'}${activity.tool ? ` ${activity.tool}` : ''}: ${truncate(activity.output, width)}`;
    case 'usage': {
      const t = activity.tokens;
      const tokens = t.input + t.output + t.cacheRead + t.cacheCreation;
      return `usage: ${count(tokens)} tokens${activity.costUsd !== undefined ? `, ${usd(activity.costUsd)}` : ''}`;
    }
    case 'log':
      return `${activity.stream}: ${truncate(activity.line, width)}`;
    case 'retry':
      return style.yellow(`retry: ${truncate(activity.message, width)}`);
  }
}

/** Why a run ended, in words. */
export function describeStopReason(reason: StopReason): string {
  return oneLine(stopReasonText(safe(reason)));
}

function stopReasonText(reason: StopReason): string {
  switch (reason.kind) {
    case 'completed':
      return 'all tasks done';
    case 'paused':
    case 'stopped':
      return pauseText(reason);
    case 'cancelled':
      return `cancelled: ${reason.reason}`;
    case 'blocked':
      return `blocked${reason.taskId ? ` at ${reason.taskId}` : ''}: ${reason.reason}`;
    case 'needs-human':
      return `needs a human (task ${reason.taskId})`;
    case 'limit':
      return `limit reached (${reason.limit}): ${reason.detail}`;
    case 'interrupted':
      return `interrupted: ${reason.detail}`;
  }
}

/** The text of one event of the log, without its time. */
export function describeEvent(event: RunEvent, style: Style = plain): string {
  return oneLine(eventText(safe(event), style));
}

function eventText(event: RunEvent, style: Style): string {
  switch (event.type) {
    case 'run-started':
      return `${event.resumed ? 'run resumed' : 'run started'} (run ${event.runId}, pid ${event.pid} on ${event.host})`;
    case 'sprint-status':
      return `sprint ${statusColor(style, event.from)} -> ${statusColor(style, event.to)}${event.reason ? `: ${event.reason}` : ''}${event.humanNeeded ? ` (asks: ${event.humanNeeded.reason})` : ''}`;
    case 'task-started':
      return `${style.bold(event.taskId)} started (attempt ${event.attempt}, agent ${event.agent})`;
    case 'agent-pid':
      return `${event.taskId} agent ${event.pid === null ? 'process ended' : `pid ${event.pid}`}`;
    case 'agent-activity':
      return `${event.taskId} ${describeActivity(event.activity, 160, style)}`;
    case 'task-finished': {
      const r = event.result;
      const bits = [
        r?.durationMs !== undefined ? `${(r.durationMs / 1000).toFixed(1)}s` : undefined,
        r?.costUsd ? usd(r.costUsd) : undefined,
      ].filter(Boolean);
      const why = event.error?.message ?? r?.error?.message;
      return `${style.bold(event.taskId)} ${statusColor(style, event.to)} (${event.outcome}${bits.length ? `, ${bits.join(', ')}` : ''})${
        r?.summary && event.to === 'done'
          ? `: ${truncate(r.summary, 160)}`
          : why
            ? `: ${truncate(why, 160)}`
            : ''
      }`;
    }
    case 'task-status':
      return `${event.taskId} ${statusColor(style, event.from)} -> ${statusColor(style, event.to)}${event.reason ? `: ${event.reason}` : ''}`;
    case 'deferred-items':
      return `deferred (${event.source}): ${event.items.join('; ')}`;
    case 'human-answer':
      return `human answered${event.taskId ? ` for ${event.taskId}` : ''}: ${truncate(event.answer, 160)}`;
    case 'hook':
      return `hook ${event.hook} ${event.point}${event.taskId ? ` ${event.taskId}` : ''}: ${event.passed ? style.green('passed') : style.red('failed')}${event.message ? ` - ${truncate(event.message, 160)}` : ''}`;
    case 'control':
      return `${event.action} requested${event.requestedBy ? ` by ${event.requestedBy}` : ''}${event.reason ? `: ${event.reason}` : ''}`;
    case 'limit-reached':
      return style.yellow(`limit reached (${event.limit}): ${event.detail}`);
    case 'tasks-added':
      return `tasks added: ${event.tasks.map((t) => t.id).join(', ')}`;
    case 'run-ended':
      return `run ended: ${statusColor(style, event.status)} - ${describeStopReason(event.stopReason)} (${plural(event.iterations, 'iteration')}, ${spend(event.costUsd, event.estimatedCostUsd, event.fallbackPricing)})`;
    case 'tampering':
      return style.red(
        `tampering: ${event.file} written by someone else${event.taskIds.length ? ` while ${event.taskIds.join(', ')} ran` : ''}: ${event.detail}${event.quarantined ? ` (kept in ${event.quarantined})` : ''}`,
      );
    case 'log':
      return `${event.level}${event.taskId ? ` ${event.taskId}` : ''}: ${event.message}`;
    case 'worktree':
      return `${event.taskId ? `${style.bold(event.taskId)} ` : ''}worktree ${event.stage}${event.branch ? ` ${event.branch}` : ''}${event.commit ? ` ${event.commit.slice(0, 12)}` : ''}${event.path && event.stage !== 'mode' ? ` at ${event.path}` : ''}${event.detail ? `: ${truncate(event.detail, 200)}` : ''}`;
    default:
      return (event as { type: string }).type;
  }
}

/** `2026-01-15T10:00:00.000Z task-a started (...)`: one plain line per event. */
export function eventLine(event: RunEvent, style: Style = plain): string {
  return `${style.dim(event.at)} ${describeEvent(event, style)}`;
}
