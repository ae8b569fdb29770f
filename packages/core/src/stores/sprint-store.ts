import type { LockHolder } from '../model/errors.js';
import type { NewRunEvent, RunEvent } from '../model/events.js';
import type { SprintDefinition, Task } from '../model/sprint.js';
import type { SprintState, TaskCounts } from '../model/state.js';
import type { SprintStatus } from '../model/status.js';
import type { RunResult } from '../runner/run-result.js';
import type { SprintOverview } from '../workspace/describe-sprint.js';

/** A sprint as stored: what to do (definition) and how far it got (state). */
export interface SprintSnapshot {
  definition: SprintDefinition;
  state: SprintState;
  /** Where agents work. */
  projectDir: string;
  /** The sprint's directory (context/, artifacts/), for file stores. */
  sprintDir?: string;
  /** Where the runner keeps the event log, lock, last result and run log, for file stores. */
  runtimeDir?: string;
  /** The files that hold this sprint, for messages and for agents to keep away from. */
  files: string[];
  /**
   * Set when the runner's log is gone or replaced and nothing the runner wrote
   * is left to say where the sprint stands (file stores): why. The state is
   * then only what is left, and no run starts from it (`SprintLogLostError`)
   * until the files are trusted (`trustFiles`).
   */
  logLost?: string;
}

export interface SprintSummary {
  id: string;
  name: string;
  status: SprintStatus;
  counts: TaskCounts;
  created?: string;
  updatedAt?: string;
  /** Where the sprint lives, for file stores. */
  location?: string;
  format: 'directory' | 'document' | 'memory' | 'database';
  /** Why the sprint cannot be read, when it cannot (status and counts are then placeholders). */
  invalid?: string;
}

export interface ControlRequest {
  action: 'pause' | 'stop' | 'cancel';
  reason?: string;
  requestedAt: string;
  requestedBy?: string;
}

export interface LockInfo extends LockHolder {
  /** Whether the holder is still alive as far as this host can tell. */
  alive: boolean;
}

/** The single-writer lease on a sprint. */
export interface SprintLock {
  readonly holder: LockHolder;
  release(): Promise<void>;
}

export interface AddTasksResult {
  added: string[];
  /** Ids already present: reported, never duplicated. */
  skipped: string[];
}

export interface CreateSprintInput {
  name: string;
  goals?: string[];
  notes?: string;
  owner?: string;
  config?: Record<string, unknown>;
  tasks?: Task[];
  /** Defaults to the current time. */
  now?: Date;
}

/**
 * Where sprints live. Every write of state goes through `append`, which folds
 * the events into the state with `applyEvent` (so an illegal transition
 * throws before anything is written) and persists them; `claimTask` is one
 * atomic operation so that a store shared by several machines can hand each
 * task to exactly one runner.
 *
 * Implementations: `MemoryStore`, `SprintDirectoryStore`, `SprintDocumentStore`.
 * `runStoreContract` from `@sprint/core/testing` checks a new one.
 */
export interface SprintStore {
  readonly format: 'directory' | 'document' | 'memory' | 'database';
  list(): Promise<SprintSummary[]>;
  load(sprintId: string): Promise<SprintSnapshot>;
  /**
   * The sprint's overview (status, counts, running and blocked tasks, spend)
   * when the store keeps one that is current, read without loading every
   * task; undefined when it cannot say cheaply (then `load` and
   * `describeSprint` answer). What `sprint status` reads.
   */
  loadOverview?(sprintId: string): Promise<SprintOverview | undefined>;
  /**
   * A token that differs whenever what `load` would answer may differ (any
   * process's change), cheap next to `load`: for caches keyed by version. A
   * store without one is re-read on every load.
   */
  version?(sprintId: string): Promise<string>;
  create(input: CreateSprintInput): Promise<string>;
  addTasks(sprintId: string, tasks: Task[]): Promise<AddTasksResult>;

  /** Numbers, folds and persists events in order; returns them as stored. */
  append(sprintId: string, events: NewRunEvent[]): Promise<RunEvent[]>;
  /**
   * Atomically moves a pending task whose dependencies are done to `running`
   * and records the attempt. Returns the `task-started` event, or null when
   * the task was not claimable (another runner took it, or it is not ready).
   */
  claimTask(
    sprintId: string,
    claim: { taskId: string; agent: string; runId: string; host: string },
  ): Promise<RunEvent | null>;
  readEvents(
    sprintId: string,
    options?: { afterSeq?: number; limit?: number },
  ): Promise<RunEvent[]>;
  /** Live events as this process appends them. Returns the unsubscribe function. */
  subscribe(sprintId: string, listener: (event: RunEvent) => void): () => void;

  /** Takes the single-runner lock, taking over a stale one; throws `SprintLockedError`. */
  acquireLock(sprintId: string, holder: LockHolder): Promise<SprintLock>;
  inspectLock(sprintId: string): Promise<LockInfo | null>;

  /** Asks the runner of this sprint, in any process, to pause, stop or cancel. */
  requestControl(sprintId: string, request: ControlRequest): Promise<void>;
  /** Reads and clears the pending control request. */
  takeControl(sprintId: string): Promise<ControlRequest | null>;

  /** `context/_shared.md` and `context/<task-id>.md` where the format has them. */
  readContext(sprintId: string, taskId: string): Promise<{ shared?: string; task?: string }>;
  saveResult(sprintId: string, result: RunResult): Promise<void>;
  loadResult(sprintId: string): Promise<RunResult | null>;
  /** Writes any buffered state to its final form (called at the end of every run). */
  flush(sprintId: string): Promise<void>;
  /**
   * For a file store whose runner log is gone or replaced and whose state is
   * no longer the runner's (runs refuse it, `LOG_LOST`): takes the sprint's
   * files as they are, for a person who removed or replaced the runner's files
   * on purpose. Returns whether there was anything to trust.
   */
  trustFiles?(sprintId: string): Promise<boolean>;
}
