import {
  DEFAULT_MAX_ITERATIONS,
  DEFAULT_RETRY,
  DEFAULT_TASK_TIMEOUT_MS,
  type NotifyTarget,
  parseDuration,
  type SprintConfig,
} from '@sprint/core';
import { durationText } from './request-tasks.js';
import type { SprintConfigView } from './schemas.js';

/**
 * A sprint's configuration as `GET /sprints/{id}` shows it: the keys a request may set
 * (`SprintConfigBodySchema`), in its camelCase names, with the defaults a run applies
 * filled in (30 iterations, a 1800s task timeout, retry, concurrency 1, isolation auto) and
 * every duration in seconds, as the README promises. Keys of notification targets stay
 * out (see `notifyView`); the agents' own options and `projectDir` are the server's.
 */
export function configView(config: SprintConfig): SprintConfigView {
  const { worktrees } = config;
  const retry = { ...DEFAULT_RETRY, ...config.retry };
  const timeBoxMs = config.timeBox === undefined ? undefined : parseDuration(config.timeBox);
  return {
    maxTasks: config.maxTasks,
    // A time box that does not read as a duration is shown as written (validate names it).
    timeBox: timeBoxMs === undefined ? config.timeBox : durationText(timeBoxMs),
    autoCommit: config.autoCommit,
    contextCache: config.contextCache,
    parallel: config.parallel,
    maxIterations: config.maxIterations ?? DEFAULT_MAX_ITERATIONS,
    maxCostUsd: config.maxCostUsd,
    taskTimeout: durationText(config.taskTimeoutMs ?? DEFAULT_TASK_TIMEOUT_MS),
    concurrency: config.concurrency ?? 1,
    retry: {
      maxAttempts: retry.maxAttempts,
      delay: durationText(retry.delayMs),
      backoff: retry.backoff,
    },
    agent: config.agent,
    agents: config.agents,
    prices: config.prices,
    notify: config.notify?.map(notifyView),
    isolation: config.isolation ?? 'auto',
    mergeVerify: config.mergeVerify,
    targetBranch: config.targetBranch,
    worktrees: worktrees && { maxDisk: worktrees.maxDiskBytes },
  };
}

/** A target without its key: a Slack URL's path is its key, a webhook's query may hold one. */
function notifyView(target: NotifyTarget): NonNullable<SprintConfigView['notify']>[number] {
  const events = target.events && { events: [...target.events] };
  switch (target.kind) {
    case 'webhook':
      return {
        webhook: shownUrl(target.url, 'path'),
        ...events,
        signed: Boolean(target.secret || target.secretEnv),
      };
    case 'slack':
      return { slack: shownUrl(target.url, 'origin'), ...events };
    case 'command':
      return { command: target.command, ...events };
  }
}

/** A URL up to its path (credentials and query left out) or to its origin, `…` for what is left out. */
function shownUrl(url: string, upTo: 'path' | 'origin'): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '…';
  }
  if (upTo === 'origin') return parsed.pathname === '/' ? parsed.origin : `${parsed.origin}/…`;
  return `${parsed.origin}${parsed.pathname}${parsed.search ? '?…' : ''}`;
}
