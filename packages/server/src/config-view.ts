import type { NotifyTarget, SprintConfig } from '@sprint/core';
import { durationText } from './request-tasks.js';
import type { SprintConfigView } from './schemas.js';

/**
 * A sprint's configuration as `GET /sprints/{id}` shows it: the keys a request may set
 * (`SprintConfigBodySchema`), in its camelCase names. Keys of notification targets stay
 * out (see `notifyView`); the agents' own options and `projectDir` are the server's.
 */
export function configView(config: SprintConfig): SprintConfigView {
  const { retry, worktrees } = config;
  return {
    maxTasks: config.maxTasks,
    timeBox: config.timeBox,
    autoCommit: config.autoCommit,
    contextCache: config.contextCache,
    parallel: config.parallel,
    maxIterations: config.maxIterations,
    maxCostUsd: config.maxCostUsd,
    taskTimeout:
      config.taskTimeoutMs === undefined ? undefined : durationText(config.taskTimeoutMs),
    concurrency: config.concurrency,
    retry: retry && {
      maxAttempts: retry.maxAttempts,
      delay: retry.delayMs === undefined ? undefined : durationText(retry.delayMs),
      backoff: retry.backoff,
    },
    agent: config.agent,
    agents: config.agents,
    prices: config.prices,
    notify: config.notify?.map(notifyView),
    isolation: config.isolation,
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
