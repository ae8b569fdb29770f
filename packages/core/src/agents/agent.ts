import type { AgentResult } from '../model/agent-result.js';
import type { AgentActivity } from '../model/events.js';
import type { SprintConfig, Task } from '../model/sprint.js';
import type { ModelPlanInput, PlannedModel } from './planned-model.js';

/** What an agent knows of the sprint it works in. */
export interface SprintInfo {
  id: string;
  name: string;
  goals: string[];
  notes?: string;
  config: SprintConfig;
}

export interface PreviousResult {
  taskId: string;
  title: string;
  summary: string;
}

/** Everything an agent gets for one attempt at one task. */
export interface AgentContext {
  task: Task;
  sprint: SprintInfo;
  /** Where the agent works: the project's root, not the sprint's directory. */
  projectDir: string;
  /** The sprint's own directory, for `context/` and `artifacts/` (file stores only). */
  sprintDir?: string;
  /** The state files the runner owns; agents must never edit them. */
  stateFiles: string[];
  /** 1 for the first attempt. */
  attempt: number;
  /** `context/_shared.md` and `context/<task-id>.md`, when present. */
  context: { shared?: string; task?: string };
  /** Summaries of the tasks done before this one, in completion order. */
  previousResults: PreviousResult[];
  /** The human's answer when resuming after needs-human. */
  humanAnswer?: string;
  /** The question the answer replies to. */
  humanQuestion?: string;
  /** Why the previous attempt of this task failed, if it did. */
  previousError?: string;
  /**
   * This attempt's run marker. An agent sets `SPRINT_RUN_MARKER` (`RUN_MARKER_ENV`) to it
   * in the environment of every process it starts, so that a stop, or a resume
   * after the runner was killed, can find and end them all. The runner
   * recorded it before the agent was called.
   */
  runMarker?: string;
  /** Aborted on stop, cancel or time limit. The agent must end its work promptly. */
  signal: AbortSignal;
  /** Streams what the agent is doing to the runner's progress channel. */
  emit(activity: AgentActivity): void;
  /** Records the PID of the agent's process (null when it ended), so a resume after a crash can end an orphan. */
  setPid(pid: number | null): void;
}

/**
 * An agent works on one task per call, in a fresh process or context each
 * time. It reports failure in its result; throwing is treated as a crash.
 */
export interface Agent {
  readonly name: string;
  run(ctx: AgentContext): Promise<AgentResult>;
  /**
   * The model `run` would use for `input.task`, and what chose it, read the
   * way `run` reads it but starting nothing (a dry run shows it). Undefined
   * when nothing names one: the CLI then takes its own default. Agents that
   * take no model leave it out.
   */
  plannedModel?(input: ModelPlanInput): PlannedModel | undefined;
}
