import type { Agent, AgentContext } from '../agents/agent.js';
import type { HookContext, HookPoint, SprintHook, StepHookContext } from '../hooks/hook.js';
import { type AgentResult, failedResult } from '../model/agent-result.js';
import type { AgentActivity, NewRunEvent } from '../model/events.js';
import type { Task } from '../model/sprint.js';
import { processStartTime } from '../process/process-group.js';
import { endMarkedProcesses } from '../process/process-tree.js';
import type { Redactor } from '../secrets/redactor.js';
import { callAgent } from './agent-call.js';
import { afterStepResult, type HooksOutcome } from './hook-runner.js';
import type { TaskWorkspace } from './task-workspace.js';

/** What one attempt needs from its run. */
export interface AttemptDeps {
  agent: Agent;
  redactor: Redactor;
  abortGraceMs: number;
  /** After a stop or cancel, how long the attempt's processes get after SIGTERM before SIGKILL. */
  stopGraceMs: number;
  taskTimeoutMs: number;
  /** The attempt's run marker, already recorded in the log. */
  runMarker: string;
  /** Aborted when the run is stopped or cancelled. */
  runSignal: AbortSignal;
  hookContext(): HookContext;
  /** Isolation: prepares the attempt's working directory and takes its finished work. */
  workspace?: TaskWorkspace;
  /** The attempt's work waits only for the merge queue: its slot may go to the next task. */
  release?: () => void;
  runHooks(
    point: HookPoint,
    call: (hook: SprintHook) => ReturnType<NonNullable<SprintHook['beforeStep']>> | undefined,
    options?: { keepDeferred?: boolean },
  ): Promise<HooksOutcome>;
  /** The agent's context, without what the attempt adds (signal, emit, setPid). */
  agentContext(): Promise<Omit<AgentContext, 'signal' | 'emit' | 'setPid'>>;
  append(events: NewRunEvent[]): Promise<unknown>;
  onActivity(activity: AgentActivity): void;
}

/** How an attempt ended, before the runner decides what it means. */
export interface AttemptEnd {
  result: AgentResult;
  /** The per-task time limit ended it. */
  timedOut: boolean;
}

/**
 * One attempt at one task: before-step hooks, the agent (within the per-task
 * time limit, aborted with the run), then the after-step hooks such as verify
 * and git-commit, whose blocking failure fails the attempt. Secrets in the
 * agent's result go no further than here.
 */
export async function runAttempt(
  task: Task,
  attempt: number,
  deps: AttemptDeps,
): Promise<AttemptEnd> {
  const taskAbort = new AbortController();
  let timedOut = false;
  let agentPid: number | null = null;
  let killTimer: NodeJS.Timeout | undefined;
  const onRunAbort = () => {
    taskAbort.abort(deps.runSignal.reason);
    // A stop or cancel is answered within a second, whatever the agent does with
    // its SIGTERM: what still carries the marker after the stop grace is killed.
    killTimer ??= setTimeout(() => {
      void endMarkedProcesses(deps.runMarker, agentPid ? [agentPid] : [], 0);
    }, deps.stopGraceMs);
  };
  if (deps.runSignal.aborted) onRunAbort();
  deps.runSignal.addEventListener('abort', onRunAbort, { once: true });
  const timer = setTimeout(() => {
    timedOut = true;
    taskAbort.abort('timeout');
  }, deps.taskTimeoutMs);
  const signal = taskAbort.signal;
  const startedMs = Date.now();
  let result: AgentResult;
  let step: StepHookContext | undefined;
  try {
    // Under isolation the attempt works in its own worktree: that is its project directory.
    const prepared = deps.workspace
      ? await deps.workspace.prepare({ task, attempt, signal, runMarker: deps.runMarker })
      : undefined;
    const projectDir = prepared && 'projectDir' in prepared ? prepared.projectDir : undefined;
    const stepCtx: StepHookContext = {
      ...deps.hookContext(),
      ...(projectDir ? { projectDir, isolated: true } : {}),
      signal,
      task,
      attempt,
      runMarker: deps.runMarker,
    };
    if (!(prepared && 'result' in prepared)) step = stepCtx;
    const before =
      prepared && 'result' in prepared
        ? { blockingFailure: undefined }
        : await deps.runHooks('before-step', (h) => h.beforeStep?.(stepCtx));
    if (prepared && 'result' in prepared) {
      result = prepared.result;
    } else if (before.blockingFailure) {
      result = failedResult('hook', before.blockingFailure);
    } else {
      const ctx: AgentContext = {
        ...(await deps.agentContext()),
        ...(projectDir ? { projectDir } : {}),
        runMarker: deps.runMarker,
        signal,
        emit: (raw) => deps.onActivity(deps.redactor.value(raw)),
        setPid: (pid) => {
          agentPid = pid;
          const pidStart = pid ? processStartTime(pid) : undefined;
          void deps
            .append([{ type: 'agent-pid', taskId: task.id, pid, pidStart }])
            .catch(() => undefined);
        },
      };
      const agent = deps.agent;
      result = deps.redactor.value(
        await callAgent(agent.run.bind(agent), ctx, {
          graceMs: deps.abortGraceMs,
          onAbandon: () => {
            void endMarkedProcesses(deps.runMarker, agentPid ? [agentPid] : [], 0);
          },
        }),
      );
    }
    if (result.success && !(prepared && 'result' in prepared)) {
      result = await afterStep(task, attempt, result, signal, deps, projectDir);
      if (deps.workspace) {
        result = await deps.workspace.finish({
          task,
          attempt,
          result,
          signal,
          runMarker: deps.runMarker,
          release: deps.release,
        });
      }
    }
  } finally {
    clearTimeout(timer);
    clearTimeout(killTimer);
    deps.runSignal.removeEventListener('abort', onRunAbort);
  }
  if (!result.durationMs) result = { ...result, durationMs: Date.now() - startedMs };
  if (step) {
    const ended = { ...step, result };
    // endStep returns nothing, so this records no event; it must not fail the attempt.
    await deps.runHooks('after-step', (h) => h.endStep?.(ended)).catch(() => undefined);
  }
  return { result, timedOut };
}

async function afterStep(
  task: Task,
  attempt: number,
  result: AgentResult,
  signal: AbortSignal,
  deps: AttemptDeps,
  projectDir: string | undefined,
): Promise<AgentResult> {
  const step = {
    ...deps.hookContext(),
    ...(projectDir ? { projectDir, isolated: true } : {}),
    signal,
    task,
    attempt,
    runMarker: deps.runMarker,
  };
  const outcome = await deps.runHooks('after-step', (h) => h.afterStep?.({ ...step, result }), {
    keepDeferred: true,
  });
  return afterStepResult(result, outcome);
}
