import type { HookOutcome, HookPoint, SprintHook } from '../hooks/hook.js';
import type { AgentResult } from '../model/agent-result.js';
import type { NewRunEvent } from '../model/events.js';
import { errorMessage } from './error-message.js';

/** What the hooks of one point said together. */
export interface HooksOutcome {
  /** `<hook>: <message>` of the first blocking failure; later hooks did not run. */
  blockingFailure?: string;
  failedHook?: string;
  failure?: string;
  deferred: string[];
}

/**
 * Runs the hooks of one point in order and records each one's outcome as a
 * `hook` event. A hook that throws is a blocking failure; the first blocking
 * failure ends the round. Deferred items are recorded here unless the caller
 * keeps them (after-step adds them to the task's result).
 */
export async function runHooks(
  hooks: readonly SprintHook[],
  point: HookPoint,
  call: (hook: SprintHook) => ReturnType<NonNullable<SprintHook['beforeSprint']>> | undefined,
  append: (events: NewRunEvent[]) => Promise<unknown>,
  options: { taskId?: string; keepDeferred?: boolean } = {},
): Promise<HooksOutcome> {
  const deferred: string[] = [];
  for (const hook of hooks) {
    let outcome: HookOutcome | undefined;
    try {
      outcome = (await call(hook)) ?? undefined;
    } catch (error) {
      outcome = { passed: false, blocking: true, message: `hook threw: ${errorMessage(error)}` };
    }
    if (!outcome) continue;
    deferred.push(...(outcome.deferredItems ?? []));
    const blocking = !outcome.passed && outcome.blocking !== false;
    await append([
      {
        type: 'hook',
        hook: hook.name,
        point,
        taskId: options.taskId,
        passed: outcome.passed,
        blocking,
        message: outcome.message,
      },
    ]);
    if (blocking) {
      const failure = outcome.message ?? 'failed';
      await recordDeferred();
      return {
        failedHook: hook.name,
        failure,
        blockingFailure: `${hook.name}: ${failure}`,
        deferred,
      };
    }
  }
  await recordDeferred();
  return { deferred };

  async function recordDeferred() {
    if (deferred.length && !options.keepDeferred) {
      await append([{ type: 'deferred-items', items: deferred, source: `hooks:${point}` }]);
    }
  }
}

/**
 * An attempt's result once its after-step hooks had their say: a blocking
 * failure fails it (as `verify` when the verify hook failed), deferred items
 * join its own.
 */
export function afterStepResult(result: AgentResult, outcome: HooksOutcome): AgentResult {
  let current = result;
  if (outcome.failedHook) {
    const name = outcome.failedHook;
    const message = `${name} failed: ${outcome.failure}`;
    current = {
      ...current,
      success: false,
      summary: current.summary ? `${current.summary}\n\n${message}` : message,
      error: { kind: name === 'verify' ? 'verify' : 'hook', message },
    };
  }
  if (outcome.deferred.length) {
    current = { ...current, deferredItems: [...current.deferredItems, ...outcome.deferred] };
  }
  return current;
}
