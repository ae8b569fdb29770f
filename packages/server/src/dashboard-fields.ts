import { estimatedCostUsd, type SprintSnapshot, type SprintState } from '@sprint/core';

/** What the dashboard shows of one task beyond core's status report. */
export interface TaskExtras {
  agent?: string;
  costUsd: number;
  /** The part of `costUsd` priced from tokens (agents that report no cost); 0 when all was reported. */
  estimatedCostUsd: number;
  durationMs: number;
  dependsOn: string[];
}

/**
 * Per task: the last attempt's agent, its cost and time so far and what it
 * depends on (core's report carries the worktree of an isolated task). Pure:
 * a snapshot in, plain values out.
 */
export function taskExtras(
  snapshot: Pick<SprintSnapshot, 'definition' | 'state'>,
): Map<string, TaskExtras> {
  const out = new Map<string, TaskExtras>();
  for (const task of snapshot.definition.tasks) {
    const state = snapshot.state.tasks[task.id];
    const last = state?.attempts.at(-1);
    out.set(task.id, {
      ...(last ? { agent: last.agent } : {}),
      costUsd: state?.costUsd ?? 0,
      estimatedCostUsd: (state?.attempts ?? [])
        .filter((a) => a.costEstimated)
        .reduce((usd, a) => usd + (a.costUsd ?? 0), 0),
      durationMs: state?.durationMs ?? 0,
      dependsOn: [...(task.dependsOn ?? [])],
    });
  }
  return out;
}

/** What the sprints list shows beyond core's summary: cost (and its estimated part), tokens, times and the running tasks. */
export function summaryExtras(state: SprintState) {
  return {
    costUsd: state.costUsd,
    estimatedCostUsd: estimatedCostUsd(state),
    tokens: state.tokens,
    ...(state.startedAt ? { startedAt: state.startedAt } : {}),
    ...(state.completedAt ? { completedAt: state.completedAt } : {}),
    current: Object.entries(state.tasks)
      .filter(([, t]) => t.status === 'running')
      .map(([id]) => id),
  };
}
