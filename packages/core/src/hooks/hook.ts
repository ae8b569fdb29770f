import type { AgentResult } from '../model/agent-result.js';
import type { SprintDefinition, Task } from '../model/sprint.js';
import type { SprintState } from '../model/state.js';

export type HookPoint =
  | 'before-sprint'
  | 'before-step'
  | 'after-step'
  | 'before-completion'
  | 'after-completion';

/** What a hook says. Returning nothing means it passed. */
export interface HookOutcome {
  passed: boolean;
  message?: string;
  /** A failing blocking hook fails the step (after-step, before-step) or blocks the sprint. Default true. */
  blocking?: boolean;
  deferredItems?: string[];
}

export interface HookContext {
  sprint: SprintDefinition;
  state: SprintState;
  projectDir: string;
  sprintDir?: string;
  /** Where the runner keeps its own files (event log, lock), for file stores. */
  runtimeDir?: string;
  /** The sprint's own files (SPRINT.yaml, PROGRESS.yaml, the document). */
  stateFiles: string[];
  signal: AbortSignal;
}

export interface StepHookContext extends HookContext {
  task: Task;
  attempt: number;
  /** The attempt's run marker: commands a hook starts carry it (see `AgentContext.runMarker`). */
  runMarker?: string;
  /**
   * The attempt works in a worktree of its own (isolation), whose work the
   * runner commits itself as the task's one commit: the git-commit hook
   * leaves it alone.
   */
  isolated?: boolean;
}

export interface AfterStepContext extends StepHookContext {
  /** The agent's result, as amended by earlier after-step hooks. */
  result: AgentResult;
}

// biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing has passed.
type Ret = HookOutcome | undefined | void | Promise<HookOutcome | undefined | void>;

/** Code run at fixed points of a sprint. Hooks run in the order given. */
export interface SprintHook {
  readonly name: string;
  beforeSprint?(ctx: HookContext): Ret;
  beforeStep?(ctx: StepHookContext): Ret;
  afterStep?(ctx: AfterStepContext): Ret;
  /**
   * Told how every attempt whose before-step hooks ran ended, with its final
   * result (also a failed, timed-out or cancelled one, which after-step hooks
   * never see). Informational: no outcome, no event.
   */
  endStep?(ctx: AfterStepContext): void | Promise<void>;
  beforeCompletion?(ctx: HookContext): Ret;
  afterCompletion?(ctx: HookContext): Ret;
}
