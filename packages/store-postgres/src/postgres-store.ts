import {
  type AddTasksResult,
  applyEventInPlace,
  type ControlRequest,
  type CreateSprintInput,
  countTasks,
  InvalidSprintError,
  initialState,
  isFinalSprintStatus,
  isTaskReady,
  type LockHolder,
  type LockInfo,
  type NewRunEvent,
  type RunEvent,
  type RunResult,
  type SprintDefinition,
  SprintDefinitionSchema,
  SprintError,
  SprintFinishedError,
  type SprintLock,
  SprintLockedError,
  SprintNotFoundError,
  type SprintSnapshot,
  type SprintState,
  type SprintStore,
  type SprintSummary,
  sprintFolderName,
  type Task,
  validateTasks,
} from '@sprint/core';
import type { Database, Queryable } from './db.js';
import { type Cached, type EventWrite, eventWrite } from './event-write.js';
import { DEFAULT_SCHEMA, migrate } from './migrations.js';
import { AmbiguousCommitError, quoteIdent } from './pg-database.js';

export interface PostgresStoreOptions {
  db: Database;
  /** The PostgreSQL schema holding the tables (default `sprint`); one per test run keeps suites apart. */
  schema?: string;
  /** Where agents work for sprints created here (default: the current directory). */
  projectDir?: string;
  /**
   * How long a runner's lease on a sprint lasts without a heartbeat (ms,
   * default 30 s). The holder renews it every third of that; a runner killed
   * with -9 frees the sprint when it runs out.
   */
  leaseMs?: number;
}

interface SprintRow {
  last_seq: string | number;
  state_seq: string | number;
  def_version: number;
  status: string;
}

/**
 * Seconds without a heartbeat after which a listed worker is `lost` (killed
 * with -9, its machine gone or cut off). Workers beat every 2 s, so this
 * allows for a few missed beats on a busy machine.
 */
export const WORKER_LOST_SECONDS = 15;

/** A worker as listed: `sprint worker` registers and heartbeats it. */
export interface WorkerInfo {
  name: string;
  host: string;
  pid: number;
  agents: string[];
  /**
   * `live` while it heartbeats, `lost` once its last heartbeat is older than
   * `WORKER_LOST_SECONDS` (by the database's clock), `stopped` when it drained and left.
   */
  state: 'live' | 'lost' | 'stopped';
  /** `<sprint-id>/<task-id>` of the tasks it runs now (none unless live). */
  tasks: string[];
  /** A lost worker's tasks when it was last heard from (they run again elsewhere). */
  lastTasks?: string[];
  startedAt: string;
  heartbeatAt: string;
  /** How long ago its last heartbeat was, by the database's clock (ms). */
  heartbeatAgeMs: number;
  /** Set when it drained and left; a worker killed with -9 keeps an old heartbeat instead. */
  stoppedAt: string | null;
}

/** The stored form of a sprint's context files. */
export interface SprintContext {
  shared?: string;
  tasks?: Record<string, string>;
}

const EVENTS_CHANNEL_SUFFIX = '_events';
const CONTROL_CHANNEL_SUFFIX = '_control';

/**
 * Sprints in PostgreSQL (or PGlite). Every change is a row in the append-only
 * `events` table, written in the same transaction that locks the sprint's row;
 * the current state is a checkpoint in `sprints.state` plus the events after
 * it. Claims, added tasks and final statuses are decided under that row lock,
 * so any number of processes on any number of machines see one order.
 *
 * @example
 * const db = await openDatabase(process.env.SPRINT_DATABASE_URL!);
 * const store = await PostgresStore.open({ db });
 */
export class PostgresStore implements SprintStore {
  readonly format = 'database' as const;
  readonly db: Database;
  readonly schema: string;
  readonly leaseMs: number;
  readonly #s: string;
  readonly #projectDir: string;
  readonly #cache = new Map<string, Cached>();
  readonly #contexts = new Map<string, Promise<SprintContext>>();
  /** Per sprint, the end of this process's queue of reads and writes of its copy. */
  readonly #queues = new Map<string, Promise<unknown>>();
  /** Sprints another process wrote to since this one's last write: written under the lock. */
  readonly #contended = new Set<string>();
  readonly #listeners = new Map<string, Set<(event: RunEvent) => void>>();
  readonly #delivered = new Map<string, number>();
  #eventsUnlisten: Promise<() => Promise<void>> | undefined;

  constructor(options: PostgresStoreOptions) {
    this.db = options.db;
    this.schema = options.schema ?? DEFAULT_SCHEMA;
    this.#s = quoteIdent(this.schema);
    this.#projectDir = options.projectDir ?? process.cwd();
    this.leaseMs = options.leaseMs ?? 30_000;
  }

  /** Creates or migrates the schema, then returns the store. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    await migrate(options.db, options.schema ?? DEFAULT_SCHEMA);
    return new PostgresStore(options);
  }

  /** The NOTIFY channel that carries control requests (payload: the sprint id). */
  get controlChannel(): string {
    return `${this.schema}${CONTROL_CHANNEL_SUFFIX}`.toLowerCase();
  }

  /** The NOTIFY channel that tells workers to abort a task job (payload: the job id). */
  get abortChannel(): string {
    return `${this.schema}_abort`.toLowerCase();
  }

  /** The NOTIFY channel that tells runners a worker recorded a job's result (payload: the job id). */
  get resultsChannel(): string {
    return `${this.schema}_results`.toLowerCase();
  }

  get eventsChannel(): string {
    return `${this.schema}${EVENTS_CHANNEL_SUFFIX}`.toLowerCase();
  }

  /** Table name, schema-qualified and quoted. */
  table(name: string): string {
    return `${this.#s}.${name}`;
  }

  async list(): Promise<SprintSummary[]> {
    const rows = await this.db.query<{
      id: string;
      name: string;
      status: string;
      counts: SprintSummary['counts'];
      created: string | null;
      updated_at: Date | string;
      fresh: boolean;
    }>(
      `SELECT id, name, status, counts, definition->>'created' AS created, updated_at,
              state_seq = last_seq AS fresh
         FROM ${this.table('sprints')} ORDER BY created_at, id`,
    );
    const out: SprintSummary[] = [];
    for (const r of rows) {
      let counts = r.counts;
      let status = r.status as SprintSummary['status'];
      if (!r.fresh) {
        const { state } = await this.load(r.id);
        counts = countTasks(state);
        status = state.status;
      }
      out.push({
        id: r.id,
        name: r.name,
        status,
        counts,
        created: r.created ?? undefined,
        updatedAt: new Date(r.updated_at).toISOString(),
        location: `database ${this.schema}`,
        format: 'database',
      });
    }
    return out;
  }

  async load(sprintId: string): Promise<SprintSnapshot> {
    const { definition, state } = await this.#serial(sprintId, async () => {
      const current = await this.#current(this.db, sprintId);
      return {
        definition: structuredClone(current.definition),
        state: structuredClone(current.state),
      };
    });
    return {
      definition,
      state,
      projectDir: await this.#projectDirOf(sprintId),
      files: [],
    };
  }

  async #projectDirOf(sprintId: string): Promise<string> {
    const [row] = await this.db.query<{ project_dir: string }>(
      `SELECT project_dir FROM ${this.table('sprints')} WHERE id = $1`,
      [sprintId],
    );
    return row?.project_dir ?? this.#projectDir;
  }

  /**
   * The sprint's current definition and state, from this process's cache when
   * no other process appended since, else from the checkpoint plus newer events.
   */
  async #current(q: Queryable, sprintId: string, row?: SprintRow): Promise<Cached> {
    const head =
      row ??
      (
        await q.query<SprintRow>(
          `SELECT last_seq, state_seq, def_version, status FROM ${this.table('sprints')} WHERE id = $1`,
          [sprintId],
        )
      )[0];
    if (!head) throw new SprintNotFoundError(sprintId, `database schema ${this.schema}`);
    const lastSeq = Number(head.last_seq);
    const cached = this.#cache.get(sprintId);
    if (cached && cached.defVersion === head.def_version && cached.lastSeq <= lastSeq) {
      if (cached.lastSeq < lastSeq) {
        // Another process appended: fold only what is new. Calls of this process that
        // overlap share the cache, so an event another of them folded meanwhile is skipped.
        const events = await this.#eventsAfter(q, sprintId, cached.lastSeq);
        try {
          for (const e of events) {
            if (e.seq <= cached.lastSeq) continue;
            applyEventInPlace(cached.state, e);
            cached.lastSeq = e.seq;
          }
        } catch (error) {
          this.#cache.delete(sprintId);
          throw error;
        }
      }
      return cached;
    }
    const [full] = await q.query<{
      definition: SprintDefinition;
      state: SprintState;
      state_seq: string;
    }>(`SELECT definition, state, state_seq FROM ${this.table('sprints')} WHERE id = $1`, [
      sprintId,
    ]);
    if (!full) throw new SprintNotFoundError(sprintId, `database schema ${this.schema}`);
    const state = full.state;
    // The state is as of the last event folded here, which may be newer than `head` (read
    // before, outside a transaction): later folds start after it, never fold one twice.
    let folded = Number(full.state_seq);
    for (const e of await this.#eventsAfter(q, sprintId, folded)) {
      applyEventInPlace(state, e);
      folded = e.seq;
    }
    const fresh: Cached = {
      defVersion: head.def_version,
      lastSeq: folded,
      stateSeq: Number(full.state_seq),
      definition: full.definition,
      state,
      byId: new Map(full.definition.tasks.map((t) => [t.id, t])),
    };
    this.#cache.set(sprintId, fresh);
    return fresh;
  }

  async #eventsAfter(q: Queryable, sprintId: string, afterSeq: number): Promise<RunEvent[]> {
    const rows = await q.query<{ body: RunEvent }>(
      `SELECT body FROM ${this.table('events')} WHERE sprint_id = $1 AND seq > $2 ORDER BY seq`,
      [sprintId, afterSeq],
    );
    return rows.map((r) => r.body);
  }

  async create(input: CreateSprintInput): Promise<string> {
    const now = input.now ?? new Date();
    const id = sprintFolderName(input.name, now);
    await this.insertSprint({
      id,
      name: input.name,
      goals: input.goals ?? [],
      notes: input.notes,
      owner: input.owner,
      created: now.toISOString(),
      config: input.config,
      tasks: input.tasks ?? [],
    } as SprintDefinition);
    return id;
  }

  /**
   * Stores a whole sprint: its definition, and when copied from elsewhere
   * (`sprint push`) its events, state, context and last result. Refuses an
   * id that exists with `SPRINT_EXISTS`.
   */
  async insertSprint(
    input: unknown,
    extra: {
      events?: RunEvent[];
      state?: SprintState;
      context?: SprintContext;
      result?: RunResult | null;
      projectDir?: string;
    } = {},
  ): Promise<string> {
    const parsed = SprintDefinitionSchema.safeParse(input);
    if (!parsed.success) {
      throw new InvalidSprintError(
        parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })),
      );
    }
    const definition = parsed.data;
    const issues = validateTasks(definition.tasks);
    if (issues.length) throw new InvalidSprintError(issues);
    const events = extra.events ?? [];
    const state = extra.state ?? initialState(definition);
    const lastSeq = events.at(-1)?.seq ?? state.lastSeq ?? 0;
    await this.db.transaction(async (tx) => {
      const inserted = await tx.query(
        `INSERT INTO ${this.table('sprints')}
           (id, name, definition, project_dir, context, state, state_seq, last_seq, status, counts, result)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10)
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        [
          definition.id,
          definition.name,
          JSON.stringify(definition),
          extra.projectDir ?? this.#projectDir,
          JSON.stringify(extra.context ?? {}),
          JSON.stringify(state),
          lastSeq,
          state.status,
          JSON.stringify(countTasks(state)),
          extra.result ? JSON.stringify(extra.result) : null,
        ],
      );
      if (inserted.length === 0) {
        throw new SprintError(
          'SPRINT_EXISTS',
          `Sprint ${definition.id} already exists in the database (schema ${this.schema})`,
        );
      }
      for (let i = 0; i < events.length; i += 500) {
        await this.#insertEvents(tx, definition.id, events.slice(i, i + 500));
      }
    });
    return definition.id;
  }

  /** After a commit whose answer was lost: whether these events are in the log. */
  async #landed(sprintId: string, stored: RunEvent[]): Promise<boolean> {
    const first = stored[0];
    if (!first) return false;
    const [row] = await this.db.query<{ type: string; at: Date | string }>(
      `SELECT type, at FROM ${this.table('events')} WHERE sprint_id = $1 AND seq = $2`,
      [sprintId, first.seq],
    );
    return !!row && row.type === first.type && new Date(row.at).toISOString() === first.at;
  }

  /** Inserts the events of `$2` (`eventRows`) into sprint `$1`'s log. */
  get #insertEventsSql(): string {
    return `INSERT INTO ${this.table('events')} (sprint_id, seq, type, at, body)
       SELECT $1, e.seq, e.type, e.at, e.body
         FROM jsonb_to_recordset($2::jsonb) AS e(seq bigint, type text, at timestamptz, body jsonb)`;
  }

  async #insertEvents(q: Queryable, sprintId: string, events: RunEvent[]): Promise<void> {
    if (events.length === 0) return;
    await q.query(this.#insertEventsSql, [sprintId, eventRows(events)]);
  }

  addTasks(sprintId: string, tasks: Task[]): Promise<AddTasksResult> {
    return this.#write(sprintId, async (tx, cur) => {
      if (isFinalSprintStatus(cur.state.status)) {
        throw new SprintFinishedError(sprintId, cur.state.status);
      }
      const fresh = tasks.filter((t) => !cur.byId.has(t.id));
      const skipped = tasks.filter((t) => cur.byId.has(t.id)).map((t) => t.id);
      const issues = validateTasks([...cur.definition.tasks, ...fresh]);
      if (issues.length) throw new InvalidSprintError(issues);
      if (fresh.length === 0) return { result: { added: [], skipped }, events: [] };
      const definition = { ...cur.definition, tasks: [...cur.definition.tasks, ...fresh] };
      await tx.query(
        `UPDATE ${this.table('sprints')} SET definition = $2, def_version = def_version + 1 WHERE id = $1`,
        [sprintId, JSON.stringify(definition)],
      );
      cur.definition = definition;
      cur.defVersion += 1;
      for (const t of fresh) cur.byId.set(t.id, t);
      return {
        result: { added: fresh.map((t) => t.id), skipped },
        events: [{ type: 'tasks-added', tasks: fresh }],
      };
    });
  }

  async append(sprintId: string, events: NewRunEvent[]): Promise<RunEvent[]> {
    const { stored } = await this.#written(sprintId, async () => ({ result: undefined, events }));
    return stored;
  }

  claimTask(
    sprintId: string,
    claim: { taskId: string; agent: string; runId: string; host: string },
  ): Promise<RunEvent | null> {
    return this.#written(sprintId, async (_tx, cur) => {
      const task = cur.byId.get(claim.taskId);
      if (!task || !isTaskReady(task, cur.state)) return { result: null, events: [] };
      const attempt = (cur.state.tasks[claim.taskId]?.attempts.length ?? 0) + 1;
      return { result: null, events: [{ type: 'task-started', attempt, ...claim }] };
    }).then(({ stored }) => stored[0] ?? null);
  }

  /**
   * One write: `decide` looks at the current state and says which events to
   * add; they are folded (an illegal one throws and nothing is stored),
   * inserted and the head moved, atomically. The writes of one sprint in this
   * process go one at a time. When this process's copy is likely current (it
   * made the last write it saw), the write is one compare-and-set statement,
   * decided on that copy and landing only if nobody wrote since; otherwise,
   * or when that misses, it is a transaction under the sprint's row lock.
   * `decide` then uses `tx` (addTasks), which the compare-and-set never offers.
   */
  async #write<R>(
    sprintId: string,
    decide: (tx: Queryable, cur: Cached) => Promise<{ result: R; events: NewRunEvent[] }>,
  ): Promise<R> {
    return (await this.#written(sprintId, decide, { locked: true })).result;
  }

  #written<R>(
    sprintId: string,
    decide: (tx: Queryable, cur: Cached) => Promise<{ result: R; events: NewRunEvent[] }>,
    options: { locked?: boolean } = {},
  ): Promise<{ result: R; stored: RunEvent[] }> {
    return this.#serial(sprintId, async () => {
      const fast = options.locked ? undefined : await this.#setWrite(sprintId, decide);
      const out = fast ?? (await this.#lockedWrite(sprintId, decide));
      this.#emit(sprintId, out.stored);
      return out;
    });
  }

  /**
   * Runs `fn` after every earlier `#serial` call for the sprint has settled:
   * this process's reads and writes of its copy of a sprint never overlap
   * (a write decides on the copy before the database has the answer).
   */
  #serial<T>(sprintId: string, fn: () => Promise<T>): Promise<T> {
    const done = (this.#queues.get(sprintId) ?? Promise.resolve()).then(fn);
    const tail = done.catch(() => undefined);
    this.#queues.set(sprintId, tail);
    void tail.then(() => {
      if (this.#queues.get(sprintId) === tail) this.#queues.delete(sprintId);
    });
    return done;
  }

  /**
   * The write as one compare-and-set statement on this process's copy, or
   * undefined when it cannot be (no copy, another writer lately) or missed
   * (the head moved): then the copy is dropped and the caller takes the lock.
   */
  async #setWrite<R>(
    sprintId: string,
    decide: (tx: Queryable, cur: Cached) => Promise<{ result: R; events: NewRunEvent[] }>,
  ): Promise<{ result: R; stored: RunEvent[] } | undefined> {
    const cur = this.#cache.get(sprintId);
    if (!cur || this.#contended.has(sprintId)) return undefined;
    const expect = { lastSeq: cur.lastSeq, defVersion: cur.defVersion };
    let decided: { result: R; write: EventWrite } | undefined;
    try {
      const { result, events } = await decide(this.db, cur);
      // Nothing to write may be an old copy's answer (a task claimed elsewhere looks ready): ask under the lock.
      if (events.length === 0) return undefined;
      const write = this.#eventWrite(sprintId, cur, events, expect);
      decided = { result, write };
      cur.lastSeq = Number(write.stored.at(-1)?.seq);
      const moved = await this.db.queryOnce(write.text, write.params);
      if (moved.length === 1) return { result, stored: write.stored };
    } catch (error) {
      this.#cache.delete(sprintId);
      // Lost on the way: once the server is done with it, the log says whether it landed.
      if (error instanceof AmbiguousCommitError) {
        if (decided && (await this.#landed(sprintId, decided.write.stored))) {
          return { result: decided.result, stored: decided.write.stored };
        }
        if (!error.settled) throw error;
      }
      // Anything else (an illegal event on an old copy, the server away): decided again under the lock.
    }
    // Someone else wrote since this copy: read theirs under the lock, and keep taking it while they write.
    this.#cache.delete(sprintId);
    this.#contended.add(sprintId);
    return undefined;
  }

  async #lockedWrite<R>(
    sprintId: string,
    decide: (tx: Queryable, cur: Cached) => Promise<{ result: R; events: NewRunEvent[] }>,
  ): Promise<{ result: R; stored: RunEvent[] }> {
    let stored: RunEvent[] = [];
    let out: R;
    let tries = 0;
    let decided: { result: R } | undefined;
    try {
      out = await this.db.transaction(async (tx) => {
        // Tried again after a lost connection: the cached state may hold the uncommitted events.
        if (tries++ > 0) this.#cache.delete(sprintId);
        const [row] = await tx.query<SprintRow>(
          `SELECT last_seq, state_seq, def_version, status FROM ${this.table('sprints')} WHERE id = $1 FOR UPDATE`,
          [sprintId],
        );
        if (!row) throw new SprintNotFoundError(sprintId, `database schema ${this.schema}`);
        // Nobody else wrote since this process's copy: the next write may try the fast way.
        const own = this.#cache.get(sprintId)?.lastSeq === Number(row.last_seq);
        const cur = await this.#current(tx, sprintId, row);
        cur.stateSeq = Number(row.state_seq);
        const { result, events } = await decide(tx, cur);
        decided = { result };
        stored = [];
        if (events.length === 0) return result;
        const write = this.#eventWrite(sprintId, cur, events);
        stored = write.stored;
        await tx.query(write.text, write.params);
        cur.lastSeq = Number(stored.at(-1)?.seq);
        if (own) this.#contended.delete(sprintId);
        return result;
      });
    } catch (error) {
      // The cached state may hold events that were never committed.
      this.#cache.delete(sprintId);
      if (!(error instanceof AmbiguousCommitError && (await this.#landed(sprintId, stored))))
        throw error;
      // It committed after all: the same outcome as if the answer had arrived.
      out = (decided as { result: R }).result;
    }
    return { result: out, stored };
  }

  #eventWrite(
    sprintId: string,
    cur: Cached,
    events: readonly NewRunEvent[],
    expect?: { lastSeq: number; defVersion: number },
  ): EventWrite {
    return eventWrite({
      sprintId,
      cur,
      events,
      tables: { sprints: this.table('sprints'), events: this.table('events') },
      channel: this.eventsChannel,
      expect,
    });
  }

  async readEvents(
    sprintId: string,
    options: { afterSeq?: number; limit?: number } = {},
  ): Promise<RunEvent[]> {
    const exists = await this.db.query(`SELECT 1 FROM ${this.table('sprints')} WHERE id = $1`, [
      sprintId,
    ]);
    if (exists.length === 0)
      throw new SprintNotFoundError(sprintId, `database schema ${this.schema}`);
    const rows = await this.db.query<{ body: RunEvent }>(
      `SELECT body FROM ${this.table('events')} WHERE sprint_id = $1 AND seq > $2 ORDER BY seq ${
        options.limit ? 'LIMIT $3' : ''
      }`,
      options.limit
        ? [sprintId, options.afterSeq ?? 0, options.limit]
        : [sprintId, options.afterSeq ?? 0],
    );
    return rows.map((r) => r.body);
  }

  /**
   * Live events of a sprint, appended by this process or any other that
   * shares the database (delivered through LISTEN/NOTIFY, in order, once).
   */
  subscribe(sprintId: string, listener: (event: RunEvent) => void): () => void {
    let set = this.#listeners.get(sprintId);
    if (!set) {
      set = new Set();
      this.#listeners.set(sprintId, set);
    }
    set.add(listener);
    if (!this.#delivered.has(sprintId)) {
      void this.db
        .query<{ last_seq: string }>(
          `SELECT last_seq FROM ${this.table('sprints')} WHERE id = $1`,
          [sprintId],
        )
        .then(
          ([row]) => {
            if (row && !this.#delivered.has(sprintId))
              this.#delivered.set(sprintId, Number(row.last_seq));
          },
          () => undefined,
        );
    }
    this.#eventsUnlisten ??= this.db
      .listen(this.eventsChannel, (payload) => void this.#onNotify(payload))
      .catch(() => async () => undefined);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(sprintId);
    };
  }

  async #onNotify(payload: string): Promise<void> {
    const sprintIds = payload
      ? [payload.slice(0, payload.lastIndexOf(':'))]
      : [...this.#listeners.keys()];
    for (const sprintId of sprintIds) {
      if (!this.#listeners.has(sprintId)) continue;
      const after = this.#delivered.get(sprintId);
      if (after === undefined) continue;
      const events = await this.readEvents(sprintId, { afterSeq: after }).catch(() => []);
      this.#emit(sprintId, events);
    }
  }

  #emit(sprintId: string, events: readonly RunEvent[]): void {
    const set = this.#listeners.get(sprintId);
    const after = this.#delivered.get(sprintId) ?? 0;
    let last = after;
    for (const event of events) {
      if (event.seq <= last) continue;
      last = event.seq;
      for (const listener of set ?? []) {
        try {
          listener(event);
        } catch {
          // One listener's failure must not stop the others or the run.
        }
      }
    }
    this.#delivered.set(sprintId, last);
  }

  async acquireLock(sprintId: string, holder: LockHolder): Promise<SprintLock> {
    await this.db.transaction(async (tx) => {
      const [sprint] = await tx.query(
        `SELECT 1 FROM ${this.table('sprints')} WHERE id = $1 FOR UPDATE`,
        [sprintId],
      );
      if (!sprint) throw new SprintNotFoundError(sprintId, `database schema ${this.schema}`);
      const [held] = await tx.query<{ holder: LockHolder }>(
        `SELECT holder FROM ${this.table('locks')} WHERE sprint_id = $1 AND expires_at > now()`,
        [sprintId],
      );
      if (held) throw new SprintLockedError(sprintId, held.holder);
      await tx.query(
        `INSERT INTO ${this.table('locks')} (sprint_id, run_id, holder, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4))
         ON CONFLICT (sprint_id) DO UPDATE
           SET run_id = EXCLUDED.run_id, holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at`,
        [sprintId, holder.runId, JSON.stringify(holder), this.leaseMs / 1000],
      );
    });
    // The events since the last checkpoint may be another process's: read them fresh.
    this.#cache.delete(sprintId);
    const renew = setInterval(
      () => {
        void this.db
          .query(
            `UPDATE ${this.table('locks')} SET expires_at = now() + make_interval(secs => $3)
            WHERE sprint_id = $1 AND run_id = $2`,
            [sprintId, holder.runId, this.leaseMs / 1000],
          )
          .catch(() => undefined);
      },
      Math.max(50, Math.floor(this.leaseMs / 3)),
    );
    renew.unref();
    return {
      holder,
      release: async () => {
        clearInterval(renew);
        await this.db.query(
          `DELETE FROM ${this.table('locks')} WHERE sprint_id = $1 AND run_id = $2`,
          [sprintId, holder.runId],
        );
      },
    };
  }

  async inspectLock(sprintId: string): Promise<LockInfo | null> {
    const [row] = await this.db.query<{ holder: LockHolder; alive: boolean }>(
      `SELECT holder, expires_at > now() AS alive FROM ${this.table('locks')} WHERE sprint_id = $1`,
      [sprintId],
    );
    return row ? { ...row.holder, alive: row.alive } : null;
  }

  async requestControl(sprintId: string, request: ControlRequest): Promise<void> {
    await this.db.transaction(async (tx) => {
      const inserted = await tx.query(
        `INSERT INTO ${this.table('controls')} (sprint_id, request)
         SELECT id, $2 FROM ${this.table('sprints')} WHERE id = $1
         ON CONFLICT (sprint_id) DO UPDATE SET request = EXCLUDED.request RETURNING sprint_id`,
        [sprintId, JSON.stringify(request)],
      );
      if (inserted.length === 0) {
        throw new SprintNotFoundError(sprintId, `database schema ${this.schema}`);
      }
      await tx.query('SELECT pg_notify($1, $2)', [this.controlChannel, sprintId]);
    });
  }

  async takeControl(sprintId: string): Promise<ControlRequest | null> {
    const [row] = await this.db.query<{ request: ControlRequest }>(
      `DELETE FROM ${this.table('controls')} WHERE sprint_id = $1 RETURNING request`,
      [sprintId],
    );
    return row?.request ?? null;
  }

  /** Calls `onRequest` with the sprint id whenever a control request is made, from any process. */
  onControl(onRequest: (sprintId: string) => void): Promise<() => Promise<void>> {
    return this.db.listen(this.controlChannel, onRequest);
  }

  async readContext(sprintId: string, taskId: string): Promise<{ shared?: string; task?: string }> {
    const context = await this.readAllContext(sprintId);
    return { shared: context.shared, task: context.tasks?.[taskId] };
  }

  /**
   * All of a sprint's context texts (for `sprint pull`). Read once per
   * sprint: they are written with the sprint and never change, and a run
   * asks for them at every task.
   */
  readAllContext(sprintId: string): Promise<SprintContext> {
    let context = this.#contexts.get(sprintId);
    if (!context) {
      context = this.db
        .query<{ context: SprintContext }>(
          `SELECT context FROM ${this.table('sprints')} WHERE id = $1`,
          [sprintId],
        )
        .then(([row]) => {
          if (!row) throw new SprintNotFoundError(sprintId, `database schema ${this.schema}`);
          return row.context;
        });
      this.#contexts.set(sprintId, context);
      // Not found or not read (the database away): asked again next time.
      context.catch(() => this.#contexts.delete(sprintId));
    }
    return context;
  }

  async saveResult(sprintId: string, result: RunResult): Promise<void> {
    await this.db.query(`UPDATE ${this.table('sprints')} SET result = $2 WHERE id = $1`, [
      sprintId,
      JSON.stringify(result),
    ]);
  }

  async loadResult(sprintId: string): Promise<RunResult | null> {
    const [row] = await this.db.query<{ result: RunResult | null }>(
      `SELECT result FROM ${this.table('sprints')} WHERE id = $1`,
      [sprintId],
    );
    return row?.result ?? null;
  }

  /** Writes the checkpoint so that readers need no replay. */
  flush(sprintId: string): Promise<void> {
    return this.#serial(sprintId, () =>
      this.db.transaction(async (tx) => {
        const [row] = await tx.query<SprintRow>(
          `SELECT last_seq, state_seq, def_version, status FROM ${this.table('sprints')} WHERE id = $1 FOR UPDATE`,
          [sprintId],
        );
        if (!row || Number(row.state_seq) === Number(row.last_seq)) return;
        const cur = await this.#current(tx, sprintId, row);
        await tx.query(
          `UPDATE ${this.table('sprints')} SET state = $2, state_seq = last_seq, status = $3, counts = $4 WHERE id = $1`,
          [
            sprintId,
            JSON.stringify(cur.state),
            cur.state.status,
            JSON.stringify(countTasks(cur.state)),
          ],
        );
        cur.stateSeq = cur.lastSeq;
      }),
    );
  }

  /** The workers that registered here (`sprint worker`), most recently seen first. */
  async listWorkers(): Promise<WorkerInfo[]> {
    const rows = await this.db.query<{
      name: string;
      host: string;
      pid: number;
      agents: string[];
      tasks: string[];
      started_at: Date | string;
      heartbeat_at: Date | string;
      stopped_at: Date | string | null;
      state: WorkerInfo['state'];
      age_ms: number | string;
    }>(
      // The state by the database's clock, the one the heartbeats were written by.
      `SELECT name, host, pid, agents, tasks, started_at, heartbeat_at, stopped_at,
         CASE WHEN stopped_at IS NOT NULL THEN 'stopped'
              WHEN heartbeat_at > now() - make_interval(secs => $1) THEN 'live'
              ELSE 'lost' END AS state,
         greatest(0, floor(extract(epoch FROM now() - heartbeat_at) * 1000))::float8 AS age_ms
       FROM ${this.table('workers')} ORDER BY heartbeat_at DESC, name`,
      [WORKER_LOST_SECONDS],
    );
    const iso = (d: Date | string) => new Date(d).toISOString();
    return rows.map((r) => ({
      name: r.name,
      host: r.host,
      pid: r.pid,
      agents: r.agents,
      state: r.state,
      tasks: r.state === 'live' ? r.tasks : [],
      ...(r.state === 'lost' ? { lastTasks: r.tasks } : {}),
      startedAt: iso(r.started_at),
      heartbeatAt: iso(r.heartbeat_at),
      heartbeatAgeMs: Number(r.age_ms),
      stoppedAt: r.stopped_at ? iso(r.stopped_at) : null,
    }));
  }

  /** Stops listening; the database itself stays open (its owner closes it). */
  async close(): Promise<void> {
    const unlisten = await this.#eventsUnlisten;
    this.#eventsUnlisten = undefined;
    await unlisten?.();
  }
}

/** Events as the JSON rows the insert reads (`jsonb_to_recordset`). */
function eventRows(events: readonly RunEvent[]): string {
  return JSON.stringify(events.map((e) => ({ seq: e.seq, type: e.type, at: e.at, body: e })));
}
