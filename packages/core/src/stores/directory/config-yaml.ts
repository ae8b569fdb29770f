import {
  kebabKey,
  OPERATOR_AGENT_KEYS,
  SPRINT_AGENT_KEYS,
} from '../../agents/sprint-agent-keys.js';
import { formatDuration, parseDuration } from '../../model/duration.js';
import { InvalidSprintError, type Issue } from '../../model/errors.js';
import type { RetryPolicy, SprintConfig } from '../../model/sprint.js';
import { notifyToYaml, readNotify } from '../../notify/notify-config.js';
import { parseSize } from '../../worktrees/worktree-policy.js';
import {
  checkKeys,
  describe,
  didYouMean,
  FieldCursor,
  isRecord,
  readBoolean,
  readDuration,
  readMap,
  readNumber,
  readString,
} from './field-cursor.js';
import type { SourceRef } from './task-yaml.js';

/**
 * The keys under `config.claude` (and codex, gemini, opencode): the agent's
 * options a sprint may set, else an issue with a did-you-mean, so `validate`
 * finds what the agent would refuse only when its first task starts.
 */
function checkAgentKeys(agent: string, options: Record<string, unknown>, c: FieldCursor): void {
  const known = SPRINT_AGENT_KEYS[agent] ?? [];
  for (const key of Object.keys(options)) {
    const kebab = kebabKey(key);
    if (known.includes(kebab)) continue;
    if (OPERATOR_AGENT_KEYS.includes(kebab)) {
      c.at(key).issue(
        `config.${agent} cannot set "${key}": the ${agent} binary, its arguments and environment are chosen by whoever runs the sprint, never by a sprint file`,
        `remove it (set SPRINT_${agent.toUpperCase()}_BIN for another binary); config.${agent} may set ${known.join(', ')}`,
      );
      continue;
    }
    const guess = didYouMean(kebab, known);
    c.at(key).issue(
      `unknown config.${agent} key "${key}"`,
      guess
        ? `did you mean "${guess}"? rename it to ${guess}`
        : `remove it; config.${agent} may set ${known.join(', ')}`,
    );
  }
}

/** What `git check-ref-format --branch` accepts, for the names people write. */
function isBranchName(name: string): boolean {
  return (
    /^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(name) &&
    !name.includes('..') &&
    !name.includes('//') &&
    !/(\.lock|\/|\.)$/.test(name) &&
    !name.split('/').some((part) => part.startsWith('.'))
  );
}

/** SPRINT.yaml `config` keys: the original plugin's five, then this project's. */
export const CONFIG_KEYS = [
  'max-tasks',
  'time-box',
  'auto-commit',
  'context-cache',
  'parallel',
  'max-iterations',
  'max-cost-usd',
  'task-timeout',
  'concurrency',
  'retry',
  'agent',
  'agents',
  'claude',
  'codex',
  'gemini',
  'opencode',
  'prices',
  'project-dir',
  'notify',
  'isolation',
  'merge-verify',
  'target-branch',
  'worktrees',
] as const;

const WORKTREES_KEYS = ['max-disk'] as const;

const RETRY_KEYS = ['max-attempts', 'delay', 'backoff'] as const;
const PRICE_KEYS = ['input', 'output', 'cache-read', 'cache-creation'] as const;

/** What `sprint init` writes: the original plugin's defaults. */
export const DEFAULT_SPRINT_CONFIG: Readonly<Record<string, unknown>> = Object.freeze({
  'max-tasks': 10,
  'time-box': '4h',
  'auto-commit': true,
  'context-cache': true,
  parallel: false,
});

/** Reads a `config` map, reporting every problem at `c`. */
export function readConfig(raw: unknown, c: FieldCursor): SprintConfig {
  const config: SprintConfig = { autoCommit: true, agents: {} };
  const map = readMap(raw, c);
  if (!map) return config;
  checkKeys(map, c, CONFIG_KEYS, { strict: true, what: 'config key' });

  const maxTasks = readNumber(map['max-tasks'], c.at('max-tasks'), {
    integer: true,
    positive: true,
    example: '10',
  });
  if (maxTasks !== undefined) config.maxTasks = maxTasks;
  const timeBox = map['time-box'];
  if (timeBox !== undefined && timeBox !== null) {
    if (typeof timeBox === 'string' && parseDuration(timeBox) !== undefined)
      config.timeBox = timeBox;
    else {
      c.at('time-box').issue(
        `expected a duration such as 4h, found ${describe(timeBox)}`,
        'write time-box as a duration such as 4h or 90m',
      );
    }
  }
  const autoCommit = readBoolean(map['auto-commit'], c.at('auto-commit'));
  if (autoCommit !== undefined) config.autoCommit = autoCommit;
  const contextCache = readBoolean(map['context-cache'], c.at('context-cache'));
  if (contextCache !== undefined) config.contextCache = contextCache;
  const parallel = readBoolean(map.parallel, c.at('parallel'));
  if (parallel !== undefined) config.parallel = parallel;
  const maxIterations = readNumber(map['max-iterations'], c.at('max-iterations'), {
    integer: true,
    positive: true,
    example: '30',
  });
  if (maxIterations !== undefined) config.maxIterations = maxIterations;
  const maxCost = readNumber(map['max-cost-usd'], c.at('max-cost-usd'), {
    positive: true,
    example: '5',
  });
  if (maxCost !== undefined) config.maxCostUsd = maxCost;
  const timeout = readDuration(map['task-timeout'], c.at('task-timeout'), { positive: true });
  if (timeout !== undefined) config.taskTimeoutMs = timeout;
  const concurrency = readNumber(map.concurrency, c.at('concurrency'), {
    integer: true,
    positive: true,
    example: '2',
  });
  if (concurrency !== undefined) config.concurrency = concurrency;

  const retryMap = readMap(map.retry, c.at('retry'));
  if (retryMap) {
    const rc = c.at('retry');
    checkKeys(retryMap, rc, RETRY_KEYS, { strict: true, what: 'retry key' });
    const retry: Partial<RetryPolicy> = {};
    const maxAttempts = readNumber(retryMap['max-attempts'], rc.at('max-attempts'), {
      integer: true,
      positive: true,
      example: '3',
    });
    if (maxAttempts !== undefined) retry.maxAttempts = maxAttempts;
    const delay = readDuration(retryMap.delay, rc.at('delay'));
    if (delay !== undefined) retry.delayMs = delay;
    const backoff = readNumber(retryMap.backoff, rc.at('backoff'), { min: 1, example: '2' });
    if (backoff !== undefined) retry.backoff = backoff;
    config.retry = retry;
  }

  const where: NonNullable<SprintConfig['where']> = {};
  const agent = readString(map.agent, c.at('agent'), 'claude');
  if (agent !== undefined) {
    config.agent = agent;
    where['config.agent'] = { file: c.file, line: c.at('agent').line };
  }
  const agents = readMap(map.agents, c.at('agents'));
  if (agents) {
    for (const [type, name] of Object.entries(agents)) {
      const v = readString(name, c.at('agents').at(type), 'claude');
      if (v === undefined) continue;
      // defineProperty: a type named `__proto__` is a key like any other, never the prototype.
      Object.defineProperty(config.agents, type, {
        value: v,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      where[`config.agents.${type}`] = { file: c.file, line: c.at('agents').at(type).line };
    }
  }
  if (Object.keys(where).length) config.where = where;
  for (const name of ['claude', 'codex', 'gemini', 'opencode'] as const) {
    const options = readMap(map[name], c.at(name));
    if (!options) continue;
    checkAgentKeys(name, options, c.at(name));
    config[name] = options;
  }
  const prices = readMap(map.prices, c.at('prices'));
  if (prices) {
    const table: NonNullable<SprintConfig['prices']> = {};
    for (const [model, raw] of Object.entries(prices)) {
      const pc = c.at('prices').at(model);
      const price = readMap(raw, pc);
      if (!price) continue;
      checkKeys(price, pc, PRICE_KEYS, { strict: true, what: 'price key' });
      const read = (key: (typeof PRICE_KEYS)[number]) =>
        readNumber(price[key], pc.at(key), { example: '1.25' });
      const input = read('input');
      const output = read('output');
      if (input === undefined || output === undefined) {
        pc.issue(
          'a price needs input and output (US dollars per million tokens)',
          `write ${model}: { input: 1.25, output: 10 }`,
        );
        continue;
      }
      const cacheRead = read('cache-read');
      const cacheCreation = read('cache-creation');
      table[model] = {
        input,
        output,
        ...(cacheRead !== undefined ? { cacheRead } : {}),
        ...(cacheCreation !== undefined ? { cacheCreation } : {}),
      };
    }
    config.prices = table;
  }
  const projectDir = readString(map['project-dir'], c.at('project-dir'), '..');
  if (projectDir !== undefined) config.projectDir = projectDir;
  const notify = readNotify(map.notify, c.at('notify'));
  if (notify) config.notify = notify;

  const isolation = readString(map.isolation, c.at('isolation'), 'auto');
  if (isolation !== undefined) {
    if (isolation === 'auto' || isolation === 'worktree' || isolation === 'shared') {
      config.isolation = isolation;
    } else {
      c.at('isolation').issue(
        `expected auto, worktree or shared, found ${describe(isolation)}`,
        'write isolation: auto (worktrees when tasks run at once in git), worktree or shared',
      );
    }
  }
  const mergeVerify = readString(map['merge-verify'], c.at('merge-verify'), 'pnpm test');
  if (mergeVerify !== undefined) config.mergeVerify = mergeVerify;
  const target = readString(map['target-branch'], c.at('target-branch'), 'sprint/my-sprint');
  if (target !== undefined) {
    if (isBranchName(target)) config.targetBranch = target;
    else {
      c.at('target-branch').issue(
        `${describe(target)} is not a branch name git accepts`,
        'use letters, digits, "/", "-", "_" and ".", for example sprint/my-sprint',
      );
    }
  }
  const worktrees = readMap(map.worktrees, c.at('worktrees'));
  if (worktrees) {
    const wc = c.at('worktrees');
    checkKeys(worktrees, wc, WORKTREES_KEYS, { strict: true, what: 'worktrees key' });
    const raw = worktrees['max-disk'];
    if (raw !== undefined && raw !== null) {
      const bytes = typeof raw === 'string' || typeof raw === 'number' ? parseSize(raw) : undefined;
      if (bytes === undefined) {
        wc.at('max-disk').issue(
          `expected a size such as 10GB or 500MB, found ${describe(raw)}`,
          'write max-disk as a size: 10GB, 500MB, or a number of bytes',
        );
      } else config.worktrees = { maxDiskBytes: bytes };
    }
  }
  return config;
}

/**
 * Reads SPRINT.yaml's `config` (kebab-case keys) into the model's camelCase
 * `SprintConfig`. `task-timeout` and `retry.delay` take durations (`30m`) or
 * seconds. Unknown keys are errors with a did-you-mean.
 *
 * @throws InvalidSprintError listing every problem, each naming `where`.
 */
export function parseConfig(raw: unknown, where: SourceRef): SprintConfig {
  const issues: Issue[] = [];
  const config = readConfig(
    raw,
    new FieldCursor(where.file, where.field ? [where.field] : [], issues, undefined, where.line),
  );
  if (issues.length) throw new InvalidSprintError(issues);
  return config;
}

/** Milliseconds as a duration that reads back exactly: `30m`, else seconds. */
function durationText(ms: unknown): unknown {
  if (typeof ms !== 'number') return ms;
  const text = formatDuration(ms);
  return parseDuration(text) === ms ? text.replace(/\s+/g, '') : ms / 1000;
}

const CAMEL_CONFIG_KEYS: Record<string, string> = {
  maxTasks: 'max-tasks',
  timeBox: 'time-box',
  autoCommit: 'auto-commit',
  contextCache: 'context-cache',
  maxIterations: 'max-iterations',
  maxCostUsd: 'max-cost-usd',
  taskTimeoutMs: 'task-timeout',
  projectDir: 'project-dir',
  mergeVerify: 'merge-verify',
  targetBranch: 'target-branch',
};

/**
 * A config given in either spelling (the model's camelCase, or kebab-case as
 * on disk) as the kebab-case map SPRINT.yaml holds. Undefined values are dropped.
 */
export function configToYaml(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    const k = CAMEL_CONFIG_KEYS[key] ?? key;
    if (key === 'taskTimeoutMs') out[k] = durationText(value);
    else if (k === 'notify' && Array.isArray(value)) out[k] = notifyToYaml(value);
    else if (k === 'retry' && isRecord(value)) {
      const retry: Record<string, unknown> = {};
      for (const [rk, rv] of Object.entries(value)) {
        if (rv === undefined) continue;
        if (rk === 'maxAttempts') retry['max-attempts'] = rv;
        else if (rk === 'delayMs') retry.delay = durationText(rv);
        else retry[rk] = rv;
      }
      out[k] = retry;
    } else if (k === 'worktrees' && isRecord(value)) {
      const max = value.maxDiskBytes ?? value['max-disk'];
      out[k] = max === undefined ? {} : { 'max-disk': max };
    } else out[k] = value;
  }
  return out;
}
