import { parseDuration } from '../model/duration.js';
import { InvalidOptionsError } from '../model/errors.js';
import type { RetryPolicy, SprintDefinition } from '../model/sprint.js';
import { DEFAULT_RETRY } from './retry.js';
import type { RunOptions } from './run-options.js';

export const DEFAULT_MAX_ITERATIONS = 30;
export const DEFAULT_TASK_TIMEOUT_MS = 30 * 60_000;
/** The longest delay a Node timer can wait (about 24.8 days); longer ones fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A run's limits: the call's options over the sprint's config over the defaults. */
export interface ResolvedOptions {
  maxIterations: number;
  concurrency: number;
  maxCostUsd: number | undefined;
  taskTimeoutMs: number;
  retry: RetryPolicy;
  /** Distinct tasks this run may start (`max-tasks`). */
  maxTasks: number | undefined;
  /** Wall-clock ms after which this run starts no task (`time-box`). */
  timeBoxMs: number | undefined;
}

/** @throws InvalidOptionsError naming the limit and the value when one is out of range. */
export function resolveOptions(definition: SprintDefinition, options: RunOptions): ResolvedOptions {
  const config = definition.config;
  const maxIterations = options.maxIterations ?? config.maxIterations ?? DEFAULT_MAX_ITERATIONS;
  const concurrency = options.concurrency ?? config.concurrency ?? 1;
  const maxCostUsd = options.maxCostUsd ?? config.maxCostUsd;
  const taskTimeoutMs = options.taskTimeoutMs ?? config.taskTimeoutMs ?? DEFAULT_TASK_TIMEOUT_MS;
  if (!Number.isInteger(maxIterations) || maxIterations < 1) {
    throw new InvalidOptionsError(
      `maxIterations must be a positive integer (got ${maxIterations})`,
    );
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new InvalidOptionsError(`concurrency must be a positive integer (got ${concurrency})`);
  }
  if (maxCostUsd !== undefined && !(maxCostUsd > 0)) {
    throw new InvalidOptionsError(`maxCostUsd must be a positive number (got ${maxCostUsd})`);
  }
  if (!(taskTimeoutMs > 0) || taskTimeoutMs > MAX_TIMER_MS) {
    throw new InvalidOptionsError(
      `the per-task time limit must be between 1 ms and 24 days (got ${taskTimeoutMs} ms)`,
    );
  }
  const retry = { ...DEFAULT_RETRY, ...config.retry, ...options.retry };
  const maxTasks = options.maxTasks ?? config.maxTasks;
  if (maxTasks !== undefined && (!Number.isInteger(maxTasks) || maxTasks < 1)) {
    throw new InvalidOptionsError(`maxTasks must be a positive integer (got ${maxTasks})`);
  }
  const timeBoxMs =
    options.timeBoxMs ?? (config.timeBox !== undefined ? parseDuration(config.timeBox) : undefined);
  if (timeBoxMs !== undefined && !(timeBoxMs > 0)) {
    throw new InvalidOptionsError(`the time box must be a positive duration (got ${timeBoxMs} ms)`);
  }
  return { maxIterations, concurrency, maxCostUsd, taskTimeoutMs, retry, maxTasks, timeBoxMs };
}
