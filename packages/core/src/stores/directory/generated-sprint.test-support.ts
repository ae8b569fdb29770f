import fc from 'fast-check';
import type { AgentErrorKind } from '../../model/agent-result.js';
import type { SprintDefinition, Task } from '../../model/sprint.js';
import {
  type Attempt,
  initialState,
  initialTaskState,
  type SprintState,
} from '../../model/state.js';
import { SPRINT_STATUSES, TASK_STATUSES } from '../../model/status.js';
import { taskFromYaml } from './task-yaml.js';

/** Varied sprints for property tests of the directory format (tests only; not built). */

export function definitionOf(tasks: Task[]): SprintDefinition {
  return {
    id: 'sprint-1',
    name: 'Round trip',
    goals: [],
    config: { autoCommit: true, agents: {} },
    tasks,
  };
}

const T0 = Date.parse('2026-03-01T09:00:00.000Z');
export const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

/**
 * Draws from fast-check's generator, so a failing state is shrunk and printed
 * with a seed that replays it.
 */
function random(g: fc.GeneratorValue) {
  const next = () => g(fc.double, { min: 0, max: 1, maxExcluded: true, noNaN: true });
  return {
    next,
    int: (n: number) => g(fc.integer, { min: 0, max: n - 1 }),
    bool: (p = 0.5) => next() < p,
    pick: <T>(items: readonly T[]): T => items[g(fc.integer, { min: 0, max: items.length - 1 })]!,
  };
}

const WORDS = [
  'fix',
  'true',
  '42',
  'null',
  'a: b',
  'multi\nline',
  '',
  'é',
  ' spaced ',
  '- x',
  'yes',
];
const KINDS: AgentErrorKind[] = ['crash', 'timeout', 'rate-limit', 'verify'];

/**
 * A sprint and a state for it. With `runnerOnly`, the state also holds what only the
 * runner's own files record (worktrees, tampering found), which PROGRESS.yaml does not carry.
 */
export function generate(
  g: fc.GeneratorValue,
  options: { runnerOnly?: boolean } = {},
): {
  definition: SprintDefinition;
  state: SprintState;
} {
  const r = random(g);
  const n = 1 + r.int(7);
  const tasks: Task[] = [];
  for (let i = 0; i < n; i++) {
    const id = `t${i}`;
    const raw: Record<string, unknown> = { id };
    switch (r.int(5)) {
      case 0:
        Object.assign(raw, { type: 'implement-issue', 'issue-number': 100 + i });
        break;
      case 1:
        Object.assign(raw, { type: 'refactor', 'target-path': 'src', goal: r.pick(WORDS) || 'g' });
        break;
      case 2:
        Object.assign(raw, { type: 'update-docs', 'doc-path': 'README.md', changes: 'more' });
        break;
      case 3:
        Object.assign(raw, { type: 'shell', command: 'make' });
        break;
      default:
        Object.assign(raw, {
          type: 'custom',
          description: r.pick(WORDS) || 'd',
          'done-when': 'ok',
        });
    }
    if (r.bool()) raw.priority = r.pick(['critical', 'high', 'medium', 'low']);
    if (i > 0 && r.bool()) raw['depends-on'] = r.bool() ? `t${r.int(i)}` : [`t${r.int(i)}`];
    if (r.bool(0.3)) raw.title = r.pick(WORDS);
    if (r.bool(0.3)) raw.labels = ['a', 'b'];
    if (r.bool(0.2)) raw.verify = 'pnpm test';
    tasks.push(taskFromYaml(raw, { file: 'gen', field: id }));
  }
  const definition = definitionOf(tasks);
  const state: SprintState = initialState(definition);
  const maybe = <T>(value: T, p = 0.5): T | undefined => (r.bool(p) ? value : undefined);
  const drop = <T extends object>(o: T): T =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  for (const t of tasks) {
    const status = r.pick(TASK_STATUSES);
    const attempts: Attempt[] = [];
    for (let k = 1; k <= r.int(3); k++) {
      attempts.push(
        drop({
          n: k,
          agent: r.pick(['claude', 'shell']),
          startedAt: at(k),
          endedAt: maybe(at(k + 1)),
          host: maybe('box'),
          pid: maybe(r.bool() ? 123 : null),
          outcome: maybe(r.pick(['success', 'failed', 'timeout'] as const)),
          counted: maybe(r.bool()),
          error: maybe(
            drop({
              kind: r.pick(KINDS),
              message: r.pick(WORDS),
              retryAfterMs: maybe(500),
              exitCode: maybe(null),
              resetAt: maybe(at(50)),
            }),
          ),
          sessionId: maybe('s'),
          costUsd: maybe(r.next()),
          costEstimated: maybe(true, 0.3),
          costModel: maybe(r.pick(['claude-sonnet-4-5', 'gpt-5']), 0.3),
          costFallback: maybe(true, 0.2),
          durationMs: maybe(r.int(100_000)),
        }),
      );
    }
    state.tasks[t.id] = drop({
      ...initialTaskState(status),
      attempts,
      startedAt: maybe(at(r.int(60))),
      completedAt: status === 'done' ? maybe(at(r.int(60)), 0.8) : maybe(at(1), 0.1),
      summary: maybe(r.pick(WORDS)),
      reason: maybe(r.pick(WORDS)),
      blockedAt: maybe(at(r.int(60)), status === 'blocked' ? 0.8 : 0.1),
      notBefore: maybe(at(r.int(60)), 0.3),
      filesChanged: maybe(r.bool() ? [] : ['a.ts', 'b.ts']),
      costUsd: r.bool() ? r.next() * 3 : 0,
      tokens: r.bool()
        ? { input: r.int(1000), output: r.int(1000), cacheRead: r.int(2), cacheCreation: 0 }
        : initialTaskState().tokens,
      durationMs: r.pick([0, 60_000, 61_234, 999, 3_600_000 * 25 + 1]),
      worktree: options.runnerOnly
        ? maybe({
            stage: r.pick(['created', 'queued', 'integrated', 'kept', 'removed'] as const),
            branch: `sprint/${t.id}`,
            path: `/tmp/wt/${t.id}`,
          })
        : undefined,
    });
  }
  state.status = r.pick(SPRINT_STATUSES);
  Object.assign(
    state,
    drop({
      startedAt: maybe(at(0)),
      completedAt: maybe(at(99), 0.3),
      updatedAt: maybe(at(98)),
      humanNeeded: maybe(
        drop({
          reason: r.pick(WORDS),
          details: maybe('d'),
          options: r.bool() ? [] : ['x', 'y'],
          taskId: r.pick(tasks).id,
        }),
        0.3,
      ),
      humanAnswer: maybe(drop({ taskId: maybe(r.pick(tasks).id), answer: r.pick(WORDS) }), 0.3),
      reason: maybe(r.pick(WORDS), 0.3),
      stopReason: maybe(
        r.pick([
          { kind: 'completed' as const },
          { kind: 'limit' as const, limit: 'max-cost' as const, detail: 'spent' },
          { kind: 'interrupted' as const, detail: 'SIGINT' },
          { kind: 'blocked' as const, reason: 'x' },
        ]),
        0.4,
      ),
    }),
  );
  state.deferredItems = r.bool() ? [] : ['one', r.pick(WORDS)];
  state.iterations = r.int(50);
  state.costUsd = r.next() * 10;
  state.tokens = {
    input: r.int(1e6),
    output: r.int(1e5),
    cacheRead: r.int(1e7),
    cacheCreation: r.int(1e4),
  };
  state.lastSeq = r.int(1000);
  if (options.runnerOnly && r.bool()) {
    state.tampering = [
      {
        at: at(5),
        file: 'events.jsonl',
        detail: 'a line the runner did not write',
        taskIds: ['t0'],
      },
    ];
  }
  return { definition, state };
}
