import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { link, mkdir, readFile, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  InvalidSprintError,
  type LockHolder,
  SprintError,
  SprintFinishedError,
  SprintLockedError,
} from '../model/errors.js';
import type { NewRunEvent, RunEvent } from '../model/events.js';
import { applyEventInPlace } from '../model/fold.js';
import type { SprintDefinition, Task } from '../model/sprint.js';
import type { SprintState } from '../model/state.js';
import { isFinalSprintStatus } from '../model/transitions.js';
import { validateTasks } from '../model/validate.js';
import { isSameProcessAlive } from '../process/process-group.js';
import type { RunResult } from '../runner/run-result.js';
import { atomicWriteFile } from './atomic-file.js';
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
import {
  changesState,
  claimableAttempt,
  EventHub,
  KeyedMutex,
  needsPromptCheckpoint,
  stampEvent,
} from './store-kit.js';

/** Where a file-backed sprint keeps its runner files. */
export interface SprintLocation {
  /** The event log, lock, control request, last result and run log live here. */
  runtimeDir: string;
  /** context/ and artifacts/ (the sprint directory, or the document's folder). */
  sprintDir: string;
  projectDir: string;
  /** The user's files for this sprint (agents must not edit them). */
  files: string[];
}

/** The last durable form of a sprint, before the log's tail is replayed. */
export interface SprintBase {
  definition: SprintDefinition;
  state: SprintState;
  /** Events up to this seq and bytes of the log up to this offset are in `state`. */
  logSeq: number;
  logOffset: number;
}

interface OpenSprint {
  definition: SprintDefinition;
  state: SprintState;
  location: SprintLocation;
  fd: number;
  logOffset: number;
  holder: LockHolder;
  dirty: boolean;
  lastCheckpointAt: number;
  lastCheckpointMs: number;
  timer?: NodeJS.Timeout;
  heartbeat?: NodeJS.Timeout;
  extra: unknown;
}

export const EVENT_LOG = 'events.jsonl';
export const LOCK_FILE = 'runner.lock';
export const CONTROL_FILE = 'control.json';
export const RESULT_FILE = 'result.json';
export const RUN_LOG = 'run.log';

/** Locks this process holds, by lock path: a same-PID lock not listed here is a leftover. */
const heldLocks = new Map<string, string>();

const LOCK_HEARTBEAT_MS = 10_000;
const CONTROL_RANK = { pause: 0, stop: 1, cancel: 2 } as const;
const LOCK_STALE_MS = 60_000;

/**
 * The machinery both file formats share. Every state change is appended to
 * an append-only event log (`events.jsonl`) first; the user-facing file
 * (PROGRESS.yaml, the Markdown document) is a checkpoint of the state,
 * replaced atomically. A checkpoint is written at once for status changes and
 * otherwise as often as its own cost allows (at most ~20% of wall time), so a
 * 1,000-task sprint never rewrites its file per event; a reader replays the
 * log past the checkpoint and always sees the current state.
 */
export abstract class JournaledStore implements SprintStore {
  abstract readonly format: 'directory' | 'document';
  readonly #open = new Map<string, OpenSprint>();
  readonly #mutex = new KeyedMutex();
  readonly #adds = new KeyedMutex();
  readonly #hub = new EventHub();
  readonly #cursors = new Map<string, { offset: number; seq: number }>();
  readonly #watchers = new Map<string, { timer: NodeJS.Timeout; offset: number; seq: number }>();
  readonly #host = hostname();

  /** Finds the sprint's files; throws SprintNotFoundError. */
  protected abstract locate(sprintId: string): Promise<SprintLocation>;
  /** Reads the checkpoint. */
  protected abstract readBase(
    sprintId: string,
    location: SprintLocation,
  ): Promise<SprintBase & { extra: unknown }>;
  /** Writes the checkpoint atomically. */
  protected abstract writeCheckpoint(
    sprintId: string,
    location: SprintLocation,
    definition: SprintDefinition,
    state: SprintState,
    log: { seq: number; offset: number },
    extra: unknown,
  ): Promise<void>;
  abstract list(): Promise<SprintSummary[]>;
  abstract create(input: CreateSprintInput): Promise<string>;
  /** Whether this format can take new tasks. */
  protected abstract checkAddTasks(sprintId: string, tasks: Task[]): void;

  // ---- reading -------------------------------------------------------------

  async load(sprintId: string): Promise<SprintSnapshot> {
    const open = this.#open.get(sprintId);
    if (open) {
      return {
        definition: structuredClone(open.definition),
        state: structuredClone(open.state),
        projectDir: open.location.projectDir,
        sprintDir: open.location.sprintDir,
        runtimeDir: open.location.runtimeDir,
        files: open.location.files,
      };
    }
    const location = await this.locate(sprintId);
    const { definition, state } = await this.#readCurrent(sprintId, location);
    return {
      definition,
      state,
      projectDir: location.projectDir,
      sprintDir: location.sprintDir,
      runtimeDir: location.runtimeDir,
      files: location.files,
    };
  }

  async #readCurrent(sprintId: string, location: SprintLocation) {
    const base = await this.readBase(sprintId, location);
    const state = base.state;
    const definition = base.definition;
    let offset = base.logOffset;
    const logPath = join(location.runtimeDir, EVENT_LOG);
    let buf = Buffer.alloc(0);
    try {
      const size = (await stat(logPath)).size;
      if (size < offset) offset = 0; // the log was replaced: replay it all
      if (size > offset) {
        const fd = openSync(logPath, 'r');
        try {
          buf = Buffer.alloc(size - offset);
          let read = 0;
          while (read < buf.length) {
            const n = readFileChunk(fd, buf, read, offset + read);
            if (n === 0) break;
            read += n;
          }
          buf = buf.subarray(0, read);
        } finally {
          closeSync(fd);
        }
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    let consumed = 0;
    for (const { event, end } of logEvents(buf, 0)) {
      consumed = end;
      if (event.seq <= state.lastSeq) continue;
      if (event.type === 'tasks-added') {
        const known = new Set(definition.tasks.map((t) => t.id));
        definition.tasks.push(...event.tasks.filter((t) => !known.has(t.id)));
      }
      try {
        applyEventInPlace(state, event);
      } catch {
        // The checkpoint moved past this event in a way the log does not know (hand edit): skip it.
        state.lastSeq = event.seq;
      }
    }
    return {
      definition,
      state,
      extra: base.extra,
      logOffset: offset + consumed,
      // Events past the checkpoint: the file form is behind and must be rewritten.
      replayed: state.lastSeq !== base.logSeq,
    };
  }

  async readEvents(
    sprintId: string,
    options: { afterSeq?: number; limit?: number } = {},
  ): Promise<RunEvent[]> {
    const location = await this.locate(sprintId);
    const logPath = join(location.runtimeDir, EVENT_LOG);
    const after = options.afterSeq ?? 0;
    const cursor = this.#cursors.get(logPath);
    const start = cursor && cursor.seq <= after ? cursor.offset : 0;
    let buf: Buffer;
    try {
      buf = await readFile(logPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const out: RunEvent[] = [];
    for (const { event, end: pos } of logEvents(buf, start > buf.length ? 0 : start)) {
      if (event.seq <= after) {
        this.#cursors.set(logPath, { offset: pos, seq: event.seq });
        continue;
      }
      out.push(event);
      if (options.limit && out.length >= options.limit) break;
    }
    return out;
  }

  subscribe(sprintId: string, listener: (event: RunEvent) => void): () => void {
    const unsubscribe = this.#hub.subscribe(sprintId, listener);
    if (!this.#watchers.has(sprintId)) this.#watch(sprintId);
    return () => {
      unsubscribe();
      if (this.#hub.count(sprintId) === 0) {
        const w = this.#watchers.get(sprintId);
        if (w) clearInterval(w.timer);
        this.#watchers.delete(sprintId);
      }
    };
  }

  /** Follows a log written by another process, for subscribers in this one. */
  #watch(sprintId: string): void {
    const w = { timer: undefined as unknown as NodeJS.Timeout, offset: -1, seq: 0 };
    let busy = false;
    const tick = async () => {
      if (busy || this.#open.has(sprintId)) return;
      busy = true;
      try {
        const location = await this.locate(sprintId);
        const logPath = join(location.runtimeDir, EVENT_LOG);
        const size = await stat(logPath).then(
          (s) => s.size,
          () => 0,
        );
        if (w.offset < 0) {
          // Start at the end: subscribers read history with readEvents.
          w.offset = size;
          const last = await this.#lastSeq(logPath);
          w.seq = Math.max(w.seq, last);
          return;
        }
        if (size <= w.offset) return;
        const buf = await readFile(logPath);
        const events: RunEvent[] = [];
        for (const { event, end } of logEvents(buf, w.offset)) {
          if (event.seq > w.seq) events.push(event);
          w.offset = end;
        }
        if (events.length) {
          w.seq = events.at(-1)!.seq;
          this.#hub.emit(sprintId, events);
        }
      } catch {
        // The sprint may be gone or being created; try again on the next tick.
      } finally {
        busy = false;
      }
    };
    w.timer = setInterval(() => void tick(), 200);
    w.timer.unref?.();
    this.#watchers.set(sprintId, w);
    void tick();
  }

  async #lastSeq(logPath: string): Promise<number> {
    try {
      const buf = await readFile(logPath);
      const end = buf.lastIndexOf(10, buf.length - 1);
      const prev = buf.lastIndexOf(10, end - 1);
      const line = buf.toString('utf8', prev + 1, end);
      return (JSON.parse(line) as RunEvent).seq ?? 0;
    } catch {
      return 0;
    }
  }

  // ---- writing -------------------------------------------------------------

  #requireOpen(sprintId: string): OpenSprint {
    const open = this.#open.get(sprintId);
    if (!open) {
      throw new SprintError(
        'NOT_LOCKED',
        `Sprint ${sprintId} must be locked by this process before its state is written (acquireLock first).`,
      );
    }
    return open;
  }

  append(sprintId: string, events: NewRunEvent[]): Promise<RunEvent[]> {
    return this.#mutex.run(sprintId, () =>
      this.#appendNow(this.#requireOpen(sprintId), sprintId, events),
    );
  }

  async #appendNow(open: OpenSprint, sprintId: string, events: NewRunEvent[]): Promise<RunEvent[]> {
    const now = new Date().toISOString();
    const stored: RunEvent[] = [];
    let failure: unknown;
    let prompt = false;
    for (const e of events) {
      const event = stampEvent(sprintId, open.state.lastSeq + 1, e, now);
      try {
        applyEventInPlace(open.state, event);
      } catch (error) {
        failure = error;
        break;
      }
      if (event.type === 'tasks-added') open.definition.tasks.push(...event.tasks);
      if (changesState(event)) open.dirty = true;
      if (needsPromptCheckpoint(event)) prompt = true;
      stored.push(event);
    }
    if (stored.length) {
      const text = `${stored.map((e) => JSON.stringify(e)).join('\n')}\n`;
      const bytes = Buffer.from(text);
      let written = 0;
      try {
        while (written < bytes.length) written += writeSync(open.fd, bytes, written);
      } catch (error) {
        // The log is the commit point: what did not reach it did not happen. End a torn
        // line, and go back to what the files say.
        if (written > 0) {
          try {
            writeSync(open.fd, '\n');
          } catch {
            // the disk refuses even that; the reader skips a torn line anyway
          }
        }
        const current = await this.#readCurrent(sprintId, open.location);
        open.state = current.state;
        open.definition = current.definition;
        open.logOffset = statSync(join(open.location.runtimeDir, EVENT_LOG)).size;
        throw error;
      }
      open.logOffset += bytes.length;
      this.#hub.emit(sprintId, stored);
      const w = this.#watchers.get(sprintId);
      if (w) {
        w.seq = stored.at(-1)!.seq;
        w.offset = open.logOffset;
      }
      if (open.dirty)
        await this.#maybeCheckpoint(sprintId, open, prompt).catch(() =>
          this.#retryCheckpoint(sprintId, open),
        );
    }
    if (failure) throw failure;
    return stored;
  }

  async #maybeCheckpoint(sprintId: string, open: OpenSprint, now: boolean): Promise<void> {
    const since = Date.now() - open.lastCheckpointAt;
    const budget = Math.max(open.lastCheckpointMs * 4, 0);
    if (now || since >= budget) {
      await this.#checkpoint(sprintId, open);
      return;
    }
    if (!open.timer) {
      open.timer = setTimeout(() => {
        open.timer = undefined;
        void this.#mutex
          .run(sprintId, () =>
            this.#open.get(sprintId) === open ? this.#checkpoint(sprintId, open) : undefined,
          )
          .catch(() => undefined);
      }, budget - since);
      open.timer.unref?.();
    }
  }

  /**
   * A checkpoint that failed (disk full, a document saved half-typed) is not a
   * lost event: the log has it. Try again later; the state stays dirty.
   */
  #retryCheckpoint(sprintId: string, open: OpenSprint): void {
    if (open.timer) return;
    open.timer = setTimeout(() => {
      open.timer = undefined;
      void this.#mutex
        .run(sprintId, () =>
          this.#open.get(sprintId) === open ? this.#checkpoint(sprintId, open) : undefined,
        )
        .catch(() => this.#retryCheckpoint(sprintId, open));
    }, 1000);
    open.timer.unref?.();
  }

  async #checkpoint(sprintId: string, open: OpenSprint): Promise<void> {
    if (open.timer) {
      clearTimeout(open.timer);
      open.timer = undefined;
    }
    if (!open.dirty) return;
    const t0 = performance.now();
    fsyncSync(open.fd);
    await this.writeCheckpoint(
      sprintId,
      open.location,
      open.definition,
      open.state,
      { seq: open.state.lastSeq, offset: open.logOffset },
      open.extra,
    );
    open.dirty = false;
    open.lastCheckpointMs = performance.now() - t0;
    open.lastCheckpointAt = Date.now();
  }

  flush(sprintId: string): Promise<void> {
    return this.#mutex.run(sprintId, async () => {
      const open = this.#open.get(sprintId);
      if (open) await this.#checkpoint(sprintId, open);
    });
  }

  claimTask(
    sprintId: string,
    claim: { taskId: string; agent: string; runId: string; host: string },
  ): Promise<RunEvent | null> {
    return this.#mutex.run(sprintId, async () => {
      const open = this.#requireOpen(sprintId);
      const attempt = claimableAttempt(open.definition, open.state, claim.taskId);
      if (attempt === null) return null;
      const [event] = await this.#appendNow(open, sprintId, [
        { type: 'task-started', attempt, ...claim },
      ]);
      return event ?? null;
    });
  }

  addTasks(sprintId: string, tasks: Task[]): Promise<AddTasksResult> {
    // One add at a time per sprint in this process: a second would find the first's lock.
    return this.#adds.run(sprintId, () => this.#addTasks(sprintId, tasks));
  }

  async #addTasks(sprintId: string, tasks: Task[]): Promise<AddTasksResult> {
    this.checkAddTasks(sprintId, tasks);
    // Check first, so that a rejected add leaves every file as it was (the lock creates the log).
    const { definition, state } = await this.load(sprintId);
    if (isFinalSprintStatus(state.status)) throw new SprintFinishedError(sprintId, state.status);
    const present = new Set(definition.tasks.map((t) => t.id));
    const candidates = tasks.filter(
      (t, i) => !present.has(t.id) && tasks.findIndex((u) => u.id === t.id) === i,
    );
    const early = validateTasks([...definition.tasks, ...candidates]);
    if (early.length) throw new InvalidSprintError(early);
    const already = this.#open.get(sprintId);
    const lock = already ? undefined : await this.acquireLock(sprintId, this.#tempHolder());
    try {
      return await this.#mutex.run(sprintId, async () => {
        const open = this.#requireOpen(sprintId);
        const existing = new Set(open.definition.tasks.map((t) => t.id));
        const seen = new Set<string>();
        const fresh: Task[] = [];
        const skipped: string[] = [];
        for (const t of tasks) {
          if (existing.has(t.id) || seen.has(t.id)) skipped.push(t.id);
          else {
            seen.add(t.id);
            fresh.push(t);
          }
        }
        const issues = validateTasks([...open.definition.tasks, ...fresh]);
        if (issues.length) throw new InvalidSprintError(issues);
        if (fresh.length)
          await this.#appendNow(open, sprintId, [{ type: 'tasks-added', tasks: fresh }]);
        return { added: fresh.map((t) => t.id), skipped };
      });
    } finally {
      await lock?.release();
    }
  }

  #tempHolder(): LockHolder {
    return {
      pid: process.pid,
      host: this.#host,
      runId: randomUUID(),
      startedAt: new Date().toISOString(),
    };
  }

  // ---- the lock ------------------------------------------------------------

  async acquireLock(sprintId: string, holder: LockHolder): Promise<SprintLock> {
    const location = await this.locate(sprintId);
    await mkdir(location.runtimeDir, { recursive: true });
    const lockPath = join(location.runtimeDir, LOCK_FILE);
    await this.#takeLockFile(sprintId, lockPath, holder);
    heldLocks.set(lockPath, holder.runId);
    let open: OpenSprint;
    try {
      const current = await this.#readCurrent(sprintId, location);
      const logPath = join(location.runtimeDir, EVENT_LOG);
      const fd = openSync(logPath, 'a');
      // A torn last line (a crash mid-write) would glue onto the next event: end it first.
      const size = statSync(logPath).size;
      let logOffset = current.logOffset;
      if (size > 0) {
        const last = Buffer.alloc(1);
        const rfd = openSync(logPath, 'r');
        try {
          readFileChunk(rfd, last, 0, size - 1);
        } finally {
          closeSync(rfd);
        }
        if (last[0] !== 10) writeSync(fd, '\n');
        logOffset = statSync(logPath).size;
      }
      open = {
        definition: current.definition,
        state: current.state,
        location,
        fd,
        logOffset,
        holder,
        dirty: current.replayed || current.logOffset !== logOffset,
        lastCheckpointAt: 0,
        lastCheckpointMs: 0,
        extra: current.extra,
      };
    } catch (error) {
      heldLocks.delete(lockPath);
      await unlink(lockPath).catch(() => undefined);
      throw error;
    }
    open.heartbeat = setInterval(() => {
      const t = new Date();
      void utimes(lockPath, t, t).catch(() => undefined);
    }, LOCK_HEARTBEAT_MS);
    open.heartbeat.unref?.();
    this.#open.set(sprintId, open);
    let released = false;
    return {
      holder,
      release: async () => {
        if (released) return;
        released = true;
        await this.#mutex.run(sprintId, async () => {
          try {
            // The log holds every event; a checkpoint that fails now is redone by the next reader.
            await this.#checkpoint(sprintId, open).catch(() => undefined);
          } finally {
            if (open.timer) clearTimeout(open.timer);
            if (open.heartbeat) clearInterval(open.heartbeat);
            closeSync(open.fd);
            this.#open.delete(sprintId);
            heldLocks.delete(lockPath);
            const still = await readFile(lockPath, 'utf8').catch(() => '');
            if (still.includes(holder.runId)) await unlink(lockPath).catch(() => undefined);
          }
        });
      },
    };
  }

  async #takeLockFile(sprintId: string, lockPath: string, holder: LockHolder): Promise<void> {
    const body = `${JSON.stringify(holder)}\n`;
    // Written beside it and linked into place: the lock file is never seen half written.
    const tmp = `${lockPath}.new-${randomUUID()}`;
    await writeFile(tmp, body, { flag: 'wx' });
    try {
      for (let tries = 0; tries < 4; tries++) {
        try {
          await link(tmp, lockPath);
          return;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
        const seen = await readFile(lockPath, 'utf8').catch(() => null);
        if (seen === null) continue; // released meanwhile: try again
        const info = await this.#readLock(lockPath);
        if (!info) continue;
        if (info.alive) throw new SprintLockedError(sprintId, info);
        // Stale: move it aside under a name only we know, and check it is the very lock we judged.
        const aside = `${lockPath}.stale-${randomUUID()}`;
        try {
          await rename(lockPath, aside);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw error;
        }
        const moved = await readFile(aside, 'utf8').catch(() => null);
        if (moved !== seen) {
          // We raced another taker and moved its fresh lock: put it back unless a third took the place.
          await link(aside, lockPath).catch(() => undefined);
          await unlink(aside).catch(() => undefined);
          throw new SprintLockedError(sprintId, (await this.#readLock(lockPath)) ?? undefined);
        }
        await unlink(aside).catch(() => undefined);
      }
      throw new SprintLockedError(sprintId);
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  async #readLock(lockPath: string): Promise<LockInfo | null> {
    let text: string;
    let mtimeMs: number;
    try {
      text = await readFile(lockPath, 'utf8');
      mtimeMs = (await stat(lockPath)).mtimeMs;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    let holder: LockHolder;
    try {
      holder = JSON.parse(text) as LockHolder;
    } catch {
      // A lock file that does not parse was torn by a crash while being created.
      return { pid: 0, host: '?', runId: '?', startedAt: '?', alive: Date.now() - mtimeMs < 5000 };
    }
    let alive: boolean;
    if (holder.host === this.#host) {
      alive =
        holder.pid === process.pid
          ? [...heldLocks.values()].includes(holder.runId)
          : isSameProcessAlive(holder.pid, holder.pidStart);
    } else {
      alive = Date.now() - mtimeMs < LOCK_STALE_MS;
    }
    return { ...holder, alive };
  }

  async inspectLock(sprintId: string): Promise<LockInfo | null> {
    const location = await this.locate(sprintId);
    return this.#readLock(join(location.runtimeDir, LOCK_FILE));
  }

  // ---- control, context, results --------------------------------------------

  async requestControl(sprintId: string, request: ControlRequest): Promise<void> {
    const location = await this.locate(sprintId);
    await mkdir(location.runtimeDir, { recursive: true });
    const path = join(location.runtimeDir, CONTROL_FILE);
    // A stronger request waiting to be taken is not weakened by a later one (cancel > stop > pause).
    const waiting = await readFile(path, 'utf8').then(
      (t) => JSON.parse(t) as ControlRequest,
      () => null,
    );
    if (waiting && CONTROL_RANK[waiting.action] > CONTROL_RANK[request.action]) return;
    await atomicWriteFile(path, `${JSON.stringify(request)}\n`);
  }

  async takeControl(sprintId: string): Promise<ControlRequest | null> {
    const location = await this.locate(sprintId);
    const path = join(location.runtimeDir, CONTROL_FILE);
    const taken = `${path}.taken-${randomUUID()}`;
    try {
      await rename(path, taken);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    try {
      return JSON.parse(await readFile(taken, 'utf8')) as ControlRequest;
    } catch {
      return null;
    } finally {
      await unlink(taken).catch(() => undefined);
    }
  }

  async readContext(sprintId: string, taskId: string): Promise<{ shared?: string; task?: string }> {
    const location = await this.locate(sprintId);
    const dir = join(location.sprintDir, 'context');
    const read = (name: string) => readFile(join(dir, name), 'utf8').catch(() => undefined);
    const safe = /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(taskId) && !taskId.includes('..');
    const [shared, task] = await Promise.all([
      read('_shared.md'),
      safe ? read(`${taskId}.md`) : undefined,
    ]);
    return { shared, task };
  }

  async saveResult(sprintId: string, result: RunResult): Promise<void> {
    const location = await this.locate(sprintId);
    await atomicWriteFile(
      join(location.runtimeDir, RESULT_FILE),
      `${JSON.stringify(result, null, 2)}\n`,
    );
  }

  async loadResult(sprintId: string): Promise<RunResult | null> {
    const location = await this.locate(sprintId);
    try {
      const { RunResultSchema } = await import('../runner/run-result.js');
      const parsed = RunResultSchema.safeParse(
        JSON.parse(await readFile(join(location.runtimeDir, RESULT_FILE), 'utf8')),
      );
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }
}

/**
 * The events of an events.jsonl buffer from byte `start`, each with the byte
 * offset just past its line. Offsets are bytes, never characters (UTF-8).
 * Stops at a line without its newline (being written, or torn by a crash);
 * skips blank and unparseable lines.
 */
function* logEvents(buf: Buffer, start: number): Generator<{ event: RunEvent; end: number }> {
  let pos = start;
  for (;;) {
    const nl = buf.indexOf(10, pos);
    if (nl < 0) return;
    const line = buf.toString('utf8', pos, nl);
    pos = nl + 1;
    if (!line.trim()) continue;
    try {
      yield { event: JSON.parse(line) as RunEvent, end: pos };
    } catch {
      // a torn or foreign line: skipped
    }
  }
}

function readFileChunk(fd: number, buf: Buffer, offset: number, position: number): number {
  return readSync(fd, buf, offset, buf.length - offset, position);
}
