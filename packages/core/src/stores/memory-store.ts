import type { LockHolder } from '../model/errors.js';
import {
  InvalidSprintError,
  SprintError,
  SprintFinishedError,
  SprintLockedError,
  SprintNotFoundError,
} from '../model/errors.js';
import type { NewRunEvent, RunEvent } from '../model/events.js';
import {
  type SprintDefinition,
  type SprintDefinitionInput,
  SprintDefinitionSchema,
  type Task,
} from '../model/sprint.js';
import { applyEventInPlace, countTasks, initialState, type SprintState } from '../model/state.js';
import { sprintFolderName } from '../model/task-info.js';
import { isFinalSprintStatus } from '../model/transitions.js';
import { validateTasks } from '../model/validate.js';
import type { RunResult } from '../runner/run-result.js';
import type {
  AddTasksResult,
  ControlRequest,
  CreateSprintInput,
  LockInfo,
  SprintLock,
  SprintSnapshot,
  SprintStore,
  SprintSummary,
} from './sprint-store.js';
import { claimableAttempt, EventHub, KeyedMutex, stampEvent } from './store-kit.js';

interface MemorySprint {
  definition: SprintDefinition;
  state: SprintState;
  events: RunEvent[];
  lock?: LockHolder;
  control?: ControlRequest;
  result?: RunResult;
  context: { shared?: string; tasks: Record<string, string> };
}

/**
 * Keeps sprints in memory: for tests, embedding and benchmarks. Locks and
 * control requests work between runners of one process.
 */
export class MemoryStore implements SprintStore {
  readonly format = 'memory' as const;
  readonly #sprints = new Map<string, MemorySprint>();
  readonly #mutex = new KeyedMutex();
  readonly #hub = new EventHub();
  readonly #projectDir: string;

  constructor(options: { sprints?: SprintDefinitionInput[]; projectDir?: string } = {}) {
    this.#projectDir = options.projectDir ?? process.cwd();
    for (const s of options.sprints ?? []) this.put(s);
  }

  /** Adds a sprint as given (validated), replacing one with the same id. */
  put(input: SprintDefinitionInput, context: MemorySprint['context'] = { tasks: {} }): string {
    const parsed = SprintDefinitionSchema.safeParse(input);
    if (!parsed.success) {
      throw new InvalidSprintError(
        parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
      );
    }
    const definition = parsed.data;
    const issues = validateTasks(definition.tasks);
    if (issues.length) throw new InvalidSprintError(issues);
    this.#sprints.set(definition.id, {
      definition,
      state: initialState(definition),
      events: [],
      context,
    });
    return definition.id;
  }

  #get(sprintId: string): MemorySprint {
    const s = this.#sprints.get(sprintId);
    if (!s) throw new SprintNotFoundError(sprintId, 'memory');
    return s;
  }

  async list(): Promise<SprintSummary[]> {
    return [...this.#sprints.values()].map((s) => ({
      id: s.definition.id,
      name: s.definition.name,
      status: s.state.status,
      counts: countTasks(s.state),
      created: s.definition.created,
      updatedAt: s.state.updatedAt,
      format: 'memory',
    }));
  }

  async load(sprintId: string): Promise<SprintSnapshot> {
    const s = this.#get(sprintId);
    return {
      definition: structuredClone(s.definition),
      state: structuredClone(s.state),
      projectDir: this.#projectDir,
      files: [],
    };
  }

  async create(input: CreateSprintInput): Promise<string> {
    const id = sprintFolderName(input.name, input.now ?? new Date());
    if (this.#sprints.has(id))
      throw new SprintError('SPRINT_EXISTS', `Sprint ${id} already exists`);
    return this.put({
      id,
      name: input.name,
      goals: input.goals ?? [],
      notes: input.notes,
      owner: input.owner,
      created: (input.now ?? new Date()).toISOString(),
      tasks: input.tasks ?? [],
    });
  }

  addTasks(sprintId: string, tasks: Task[]): Promise<AddTasksResult> {
    return this.#mutex.run(sprintId, async () => {
      const s = this.#get(sprintId);
      if (isFinalSprintStatus(s.state.status))
        throw new SprintFinishedError(sprintId, s.state.status);
      const existing = new Set(s.definition.tasks.map((t) => t.id));
      const fresh = tasks.filter((t) => !existing.has(t.id));
      const skipped = tasks.filter((t) => existing.has(t.id)).map((t) => t.id);
      const issues = validateTasks([...s.definition.tasks, ...fresh]);
      if (issues.length) throw new InvalidSprintError(issues);
      if (fresh.length) {
        s.definition.tasks.push(...fresh);
        this.#commit(sprintId, s, [{ type: 'tasks-added', tasks: fresh }]);
      }
      return { added: fresh.map((t) => t.id), skipped };
    });
  }

  #commit(sprintId: string, s: MemorySprint, events: NewRunEvent[]): RunEvent[] {
    const now = new Date().toISOString();
    const stored: RunEvent[] = [];
    try {
      for (const e of events) {
        const event = stampEvent(sprintId, s.state.lastSeq + 1, e, now);
        applyEventInPlace(s.state, event);
        s.events.push(event);
        stored.push(event);
      }
    } finally {
      this.#hub.emit(sprintId, stored);
    }
    return stored;
  }

  append(sprintId: string, events: NewRunEvent[]): Promise<RunEvent[]> {
    return this.#mutex.run(sprintId, () => this.#commit(sprintId, this.#get(sprintId), events));
  }

  claimTask(
    sprintId: string,
    claim: { taskId: string; agent: string; runId: string; host: string },
  ): Promise<RunEvent | null> {
    return this.#mutex.run(sprintId, () => {
      const s = this.#get(sprintId);
      const attempt = claimableAttempt(s.definition, s.state, claim.taskId);
      if (attempt === null) return null;
      const [event] = this.#commit(sprintId, s, [{ type: 'task-started', attempt, ...claim }]);
      return event ?? null;
    });
  }

  async readEvents(
    sprintId: string,
    options: { afterSeq?: number; limit?: number } = {},
  ): Promise<RunEvent[]> {
    const { events } = this.#get(sprintId);
    const after = options.afterSeq ?? 0;
    // Seqs are dense from 1, so the index is the position.
    const out = events.slice(Math.max(0, after));
    return options.limit ? out.slice(0, options.limit) : out;
  }

  subscribe(sprintId: string, listener: (event: RunEvent) => void): () => void {
    return this.#hub.subscribe(sprintId, listener);
  }

  async acquireLock(sprintId: string, holder: LockHolder): Promise<SprintLock> {
    const s = this.#get(sprintId);
    if (s.lock) throw new SprintLockedError(sprintId, s.lock);
    s.lock = holder;
    return {
      holder,
      release: async () => {
        if (s.lock === holder) s.lock = undefined;
      },
    };
  }

  async inspectLock(sprintId: string): Promise<LockInfo | null> {
    const s = this.#get(sprintId);
    return s.lock ? { ...s.lock, alive: true } : null;
  }

  async requestControl(sprintId: string, request: ControlRequest): Promise<void> {
    this.#get(sprintId).control = request;
  }

  async takeControl(sprintId: string): Promise<ControlRequest | null> {
    const s = this.#get(sprintId);
    const control = s.control ?? null;
    s.control = undefined;
    return control;
  }

  async readContext(sprintId: string, taskId: string): Promise<{ shared?: string; task?: string }> {
    const { context } = this.#get(sprintId);
    return { shared: context.shared, task: context.tasks[taskId] };
  }

  async saveResult(sprintId: string, result: RunResult): Promise<void> {
    this.#get(sprintId).result = structuredClone(result);
  }

  async loadResult(sprintId: string): Promise<RunResult | null> {
    return structuredClone(this.#get(sprintId).result ?? null);
  }

  async flush(): Promise<void> {}
}
