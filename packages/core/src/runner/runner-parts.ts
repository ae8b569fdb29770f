import type { AgentRegistry } from '../agents/agent-registry.js';
import type { SprintHook } from '../hooks/hook.js';
import type { Redactor } from '../secrets/redactor.js';
import type { ControlRequest, SprintStore } from '../stores/sprint-store.js';
import type { TaskWorkspaces } from './task-workspace.js';

/** A run in this process that control requests can reach directly. */
interface ActiveRun {
  deliver(request: ControlRequest): void;
}

/** What a `SprintRunner` hands each of its runs: internal, never exported from the package. */
export interface RunnerParts {
  store: SprintStore;
  agents: AgentRegistry;
  hooks: readonly SprintHook[];
  host: string;
  controlPollMs: number;
  abortGraceMs: number;
  stopGraceMs: number;
  active: Map<string, ActiveRun>;
  redactor: Redactor;
  /** Where each attempt works (a worktree per task), when isolation applies. */
  workspaces: TaskWorkspaces | undefined;
}
