import { randomUUID } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  lstatSync,
  openSync,
  readSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { copyFile, mkdir, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
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
import { finishedTaskIds, validateTasks } from '../model/validate.js';
import type { RunResult } from '../runner/run-result.js';
import { atomicWriteFile } from './atomic-file.js';
import {
  chainAfterHeader,
  chainAt,
  chainAtStart,
  EVENT_LOG,
  type LogChain,
  logHeader,
  readLog,
  sealEvent,
} from './event-log.js';
import {
  forgetLockFile,
  heartbeatLock,
  LOCK_FILE,
  readLockFile,
  releaseLockFile,
  takeLockFile,
} from './lock-file.js';
import { createRunnerKey, type RunnerKey } from './runner-secret.js';
import { APPEND_NOFOLLOW, explainOpenError, readTextNoFollow, refuseLink } from './safe-fs.js';
import { logKeyId, openSignedJson, signJson, sprintKey } from './signed-json.js';
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
  /**
   * The log's key id and the digest of the line that ends at `logOffset`, when
   * the runner signed this checkpoint: the log is keyed, and replay starts there.
   */
  logKey?: string;
  logMac?: string;
  /** Foreign writes the format found in its checkpoint files. */
  findings?: TamperFinding[];
}

/** A foreign write into one of the runner's files. */
export interface TamperFinding {
  /** The runner file's name (events.jsonl, state.json, PROGRESS.yaml). */
  file: string;
  detail: string;
  /** A file whose current bytes are to be kept aside before the runner rewrites it. */
  keep?: string;
  /** Where the foreign bytes were already kept. */
  quarantined?: string;
}

interface OpenSprint {
  definition: SprintDefinition;
  state: SprintState;
  location: SprintLocation;
  fd: number;
  logOffset: number;
  /** The chain the next appended line extends. */
  chain: LogChain;
  /** The log is exactly the runner's bytes up to here, where the chain stood at `prev`. */
  verified: { offset: number; prev: string; ino: number };
  /** Set when the heartbeat finds the lock taken over: nothing more may be written. */
  lost: boolean;
  /** Tasks started since the last checkpoint: who may have written what it finds. */
  recent: Set<string>;
  holder: LockHolder;
  dirty: boolean;
  lastCheckpointAt: number;
  lastCheckpointMs: number;
  timer?: NodeJS.Timeout;
  stopHeartbeat?: () => void;
  extra: unknown;
}

export { EVENT_LOG, LOCK_FILE };
export const CONTROL_FILE = 'control.json';
export const RESULT_FILE = 'result.json';
export const RUN_LOG = 'run.log';

const CONTROL_RANK = { pause: 0, stop: 1, cancel: 2 } as const;

/** Where foreign bytes of `file` are kept: beside it, named by the time they were found. */
export function quarantineName(file: string, now = new Date()): string {
  return `${file}.foreign-${now.toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 6)}`;
}

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
  readonly #cursors = new Map<string, { offset: number; seq: number; chain: LogChain }>();
  readonly #watchers = new Map<string, Watcher>();
  readonly #host = hostname();
  /** Where each sprint's files are, for `version`. */
  readonly #locations = new Map<string, SprintLocation>();

  /** Finds the sprint's files; throws SprintNotFoundError. */
  protected abstract locate(sprintId: string): Promise<SprintLocation>;
  /** Reads the checkpoint. */
  protected abstract readBase(
    sprintId: string,
    location: SprintLocation,
  ): Promise<SprintBase & { extra: unknown }>;
  /**
   * Writes the checkpoint atomically, signed with `log.key` when there is one;
   * returns foreign writes it found in its files on the way (already kept aside).
   */
  protected abstract writeCheckpoint(
    sprintId: string,
    location: SprintLocation,
    definition: SprintDefinition,
    state: SprintState,
    log: { seq: number; offset: number; key?: RunnerKey; mac?: string },
    extra: unknown,
  ): Promise<TamperFinding[] | undefined>;
  abstract list(): Promise<SprintSummary[]>;
  abstract create(input: CreateSprintInput): Promise<string>;
  /** Whether this format can take new tasks. */
  protected abstract checkAddTasks(sprintId: string, tasks: Task[]): void;
  /** The `.gitignore` lines that keep the runner's files out of the project's commits. */
  protected abstract runtimeIgnores(): string;

  /**
   * Makes sure git ignores the runner's files in `runtimeDir`, for every
   * format and for sprints this tool did not create: adds its lines to a
   * `.gitignore` that lacks them, leaving a person's own lines as they are.
   */
  async #ensureIgnored(runtimeDir: string): Promise<void> {
    const path = join(runtimeDir, '.gitignore');
    const wanted = this.runtimeIgnores();
    const current = await readTextNoFollow(path).catch(() => null);
    if (current === null) {
      await atomicWriteFile(path, wanted).catch(() => undefined);
      return;
    }
    const have = new Set(current.split('\n').map((l) => l.trim()));
    const missing = wanted.split('\n').filter((l) => l && !l.startsWith('#') && !have.has(l));
    if (!missing.length) return;
    const text = `${current}${current.endsWith('\n') || !current ? '' : '\n'}${missing.join('\n')}\n`;
    await atomicWriteFile(path, text).catch(() => undefined);
  }

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
    let current = await this.#readCurrent(sprintId, location);
    if (current.replayed && (await this.#repair(sprintId, location))) {
      current = await this.#readCurrent(sprintId, location);
    }
    const { definition, state } = current;
    // Found but not yet recorded (only the lock holder records): shown, not stored.
    if (current.findings.length) {
      const taskIds = runningTasks(state);
      const at = new Date().toISOString();
      state.tampering = [
        ...(state.tampering ?? []),
        ...current.findings.map((f) => ({ at, file: f.file, detail: f.detail, taskIds })),
      ];
    }
    return {
      definition,
      state,
      projectDir: location.projectDir,
      sprintDir: location.sprintDir,
      runtimeDir: location.runtimeDir,
      files: location.files,
    };
  }

  /**
   * The sprint's version: inode, size, mtime and ctime of its user files, the
   * event log, the checkpoint, the lock and the control request, and whether
   * the lock's holder is alive. Any write by any process changes one of them
   * (the log only grows; the others are replaced by rename, a new inode), so a
   * body cached for a version is never stale. Synchronous stats of a
   * remembered location: a few microseconds, next to milliseconds for a load.
   */
  async version(sprintId: string): Promise<string> {
    let location = this.#locations.get(sprintId);
    if (!location) {
      location = await this.locate(sprintId);
      this.#locations.set(sprintId, location);
    }
    const lockPath = join(location.runtimeDir, LOCK_FILE);
    const paths = [
      ...location.files,
      ...[EVENT_LOG, 'state.json', CONTROL_FILE].map((n) => join(location.runtimeDir, n)),
      lockPath,
    ];
    const parts = paths.map((path) => {
      const s = lstatSync(path, { bigint: true, throwIfNoEntry: false });
      return s ? `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}` : '-';
    });
    if (parts.every((p) => p === '-')) {
      // Gone (or moved): the next version finds it again, or load says why not.
      this.#locations.delete(sprintId);
    }
    if (parts.at(-1) !== '-') {
      // A holder that died leaves its lock file as it was: ask whether it lives.
      const lock = await readLockFile(lockPath, this.#host).catch(() => null);
      parts.push(String(lock?.alive));
    }
    return parts.join('|');
  }

  /**
   * Brings the checkpoint up to date with the log when no runner holds the
   * sprint (a crash or a full disk after the log's last word, before the
   * checkpoint): every command that opens the sprint leaves its files current.
   * Returns whether it did; a live runner, a read-only folder or a lost race
   * leave things as they are (the next reader replays the log anyway).
   */
  async #repair(sprintId: string, location: SprintLocation): Promise<boolean> {
    if (this.#adds.busy(sprintId)) return false;
    const lock = await readLockFile(join(location.runtimeDir, LOCK_FILE), this.#host).catch(
      () => null,
    );
    if (lock?.alive) return false;
    try {
      const held = await this.acquireLock(sprintId, this.#tempHolder());
      await held.release();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The sprint as its files say now: the checkpoint, then every event of the
   * log past it that the runner wrote. Lines that do not chain are foreign:
   * skipped, and reported with what the checkpoint files showed.
   */
  async #readCurrent(sprintId: string, location: SprintLocation) {
    const base = await this.readBase(sprintId, location);
    const state = base.state;
    const definition = base.definition;
    const findings: TamperFinding[] = [...(base.findings ?? [])];
    let offset = base.logOffset;
    let chain: LogChain =
      base.logKey && base.logMac !== undefined && offset > 0
        ? chainAt(base.logKey, base.logMac)
        : chainAtStart(base.logKey);
    if (!(base.logKey && base.logMac !== undefined)) offset = 0;
    const logPath = join(location.runtimeDir, EVENT_LOG);
    let buf = Buffer.alloc(0);
    let size = 0;
    let ino = 0;
    let fd: number | undefined;
    try {
      fd = openSync(logPath, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        throw explainOpenError(logPath, error);
    }
    if (fd !== undefined) {
      try {
        const st = fstatSync(fd);
        if (!st.isFile()) throw explainOpenError(logPath, { code: 'EISDIR' });
        size = st.size;
        ino = st.ino;
        if (size < offset) {
          if (base.logKey)
            findings.push({
              file: EVENT_LOG,
              detail: `the log is ${size} bytes, shorter than the ${offset} the runner had written`,
            });
          offset = 0;
          chain = chainAtStart(base.logKey);
        }
        if (size > offset) {
          buf = Buffer.alloc(size - offset);
          let read = 0;
          while (read < buf.length) {
            const n = readFileChunk(fd, buf, read, offset + read);
            if (n === 0) break;
            read += n;
          }
          buf = buf.subarray(0, read);
        }
      } finally {
        closeSync(fd);
      }
    } else if (base.logKey && base.logOffset > 0) {
      findings.push({ file: EVENT_LOG, detail: 'the log the runner wrote is gone' });
    }
    let consumed = 0;
    const foreign: { start: number; end: number; why: string }[] = [];
    for (const item of readLog(buf, 0, chain)) {
      consumed = item.end;
      if (item.kind === 'foreign') {
        foreign.push({ start: offset + item.start, end: offset + item.end, why: item.why });
        continue;
      }
      if (item.kind !== 'event') continue;
      const event = item.event;
      delete (event as { mac?: string }).mac;
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
    if (foreign.length) findings.push(describeForeign(foreign));
    return {
      definition,
      state,
      extra: base.extra,
      logOffset: offset + consumed,
      logSize: size,
      logIno: ino,
      chain,
      foreign,
      findings,
      // Events past the checkpoint: the file form is behind and must be rewritten.
      replayed: state.lastSeq !== base.logSeq || findings.length > 0,
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
    let buf: Buffer;
    try {
      buf = (await readFileNoFollowOrEmpty(logPath)) ?? Buffer.alloc(0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const usable = cursor && cursor.seq <= after && cursor.offset <= buf.length;
    const chain: LogChain = usable ? { ...cursor.chain } : chainAtStart();
    const out: RunEvent[] = [];
    for (const item of readLog(buf, usable ? cursor.offset : 0, chain)) {
      if (item.kind !== 'event') continue;
      const event = item.event;
      delete (event as { mac?: string }).mac;
      if (event.seq <= after) {
        this.#cursors.set(logPath, { offset: item.end, seq: event.seq, chain: { ...chain } });
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
    const w: Watcher = {
      timer: undefined as unknown as NodeJS.Timeout,
      offset: -1,
      seq: 0,
      chain: chainAtStart(),
    };
    let busy = false;
    const tick = async () => {
      if (busy || this.#open.has(sprintId)) return;
      busy = true;
      try {
        const location = await this.locate(sprintId);
        const logPath = join(location.runtimeDir, EVENT_LOG);
        const buf = (await readFileNoFollowOrEmpty(logPath)) ?? Buffer.alloc(0);
        if (w.offset < 0 || buf.length < w.offset) {
          // Start at the end: subscribers read history with readEvents.
          w.chain = chainAtStart();
          w.offset = 0;
          for (const item of readLog(buf, 0, w.chain)) {
            w.offset = item.end;
            if (item.kind === 'event') w.seq = Math.max(w.seq, item.event.seq);
          }
          return;
        }
        if (buf.length <= w.offset) return;
        const events: RunEvent[] = [];
        for (const item of readLog(buf, w.offset, w.chain)) {
          w.offset = item.end;
          if (item.kind !== 'event') continue;
          delete (item.event as { mac?: string }).mac;
          if (item.event.seq > w.seq) events.push(item.event);
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
    if (open.lost) throw new SprintLockedError(sprintId);
    // Before every append: is the log still exactly what this runner wrote?
    const found = this.#guardLog(open);
    const all: NewRunEvent[] = found.map((f) => tamperingEvent(f, open.state, open.recent));
    all.push(...events);
    const now = new Date().toISOString();
    const stored: RunEvent[] = [];
    let failure: unknown;
    let prompt = false;
    for (const e of all) {
      const event = stampEvent(sprintId, open.state.lastSeq + 1, e, now);
      try {
        applyEventInPlace(open.state, event);
      } catch (error) {
        failure = error;
        break;
      }
      if (event.type === 'tasks-added') open.definition.tasks.push(...event.tasks);
      if (event.type === 'task-started') open.recent.add(event.taskId);
      if (changesState(event)) open.dirty = true;
      if (needsPromptCheckpoint(event)) prompt = true;
      stored.push(event);
    }
    if (stored.length) {
      const prev = open.chain.prev;
      const text = stored.map((e) => sealEvent(open.chain, e)).join('');
      const bytes = Buffer.from(text);
      const before = open.verified.offset;
      let written = 0;
      try {
        while (written < bytes.length) written += writeSync(open.fd, bytes, written);
      } catch (error) {
        // The log is the commit point: what did not reach it did not happen. Cut a torn
        // line off, and go back to what the files say.
        open.chain.prev = prev;
        try {
          if (written > 0 && fstatSync(open.fd).size === before + written)
            ftruncateSync(open.fd, before);
        } catch {
          // the disk refuses even that; the chain marks a torn line as not the runner's
        }
        const current = await this.#readCurrent(sprintId, open.location);
        open.state = current.state;
        open.definition = current.definition;
        open.logOffset = current.logOffset;
        open.chain = current.chain;
        open.verified = { offset: current.logSize, prev: current.chain.prev, ino: current.logIno };
        throw error;
      }
      open.logOffset += bytes.length;
      // Only when nothing slipped in between is the log still known to be all ours.
      if (fstatSync(open.fd).size === before + bytes.length)
        open.verified = { ...open.verified, offset: before + bytes.length, prev: open.chain.prev };
      this.#hub.emit(sprintId, stored);
      const w = this.#watchers.get(sprintId);
      if (w) {
        w.seq = stored.at(-1)!.seq;
        w.offset = open.logOffset;
        w.chain = { ...open.chain };
      }
      if (open.dirty)
        await this.#maybeCheckpoint(sprintId, open, prompt).catch(() =>
          this.#retryCheckpoint(sprintId, open),
        );
    }
    if (failure) throw failure;
    return stored;
  }

  /**
   * Finds bytes in the log this runner did not write since it last checked (or
   * a log replaced under it), keeps them aside in a quarantine file beside the
   * log, and puts the log back to exactly the runner's lines. Synchronous, so
   * nothing of this process interleaves; returns what it found.
   */
  #guardLog(open: OpenSprint): TamperFinding[] {
    const logPath = join(open.location.runtimeDir, EVENT_LOG);
    const st = fstatSync(open.fd);
    let onDisk: ReturnType<typeof lstatSync> | undefined;
    try {
      onDisk = lstatSync(logPath);
    } catch {
      onDisk = undefined;
    }
    const replaced = !onDisk || onDisk.ino !== open.verified.ino || onDisk.isSymbolicLink();
    if (!replaced && st.size === open.verified.offset) return [];
    const runtime = open.location.runtimeDir;
    const findings: TamperFinding[] = [];
    if (replaced) {
      // Someone put another file at the log's name: keep theirs aside, restore ours from our fd.
      let quarantined: string | undefined;
      if (onDisk) {
        quarantined = quarantineName(EVENT_LOG);
        renameSync(logPath, join(runtime, quarantined));
      }
      findings.push({
        file: EVENT_LOG,
        detail: onDisk ? 'the log was replaced by another file' : 'the log was deleted',
        quarantined,
      });
    }
    // Our fd's file: split what follows the verified prefix into our lines and foreign ones.
    const size = st.size;
    const tail = Buffer.alloc(Math.max(0, size - open.verified.offset));
    let read = 0;
    while (read < tail.length) {
      const n = readFileChunk(open.fd, tail, read, open.verified.offset + read);
      if (n === 0) break;
      read += n;
    }
    const chain: LogChain = { ...open.chain, prev: open.verified.prev };
    const ours: Buffer[] = [];
    const theirs: Buffer[] = [];
    let end = 0;
    for (const item of readLog(tail, 0, chain)) {
      (item.kind === 'event' ? ours : theirs).push(tail.subarray(item.start, item.end));
      end = item.end;
    }
    if (end < read) theirs.push(tail.subarray(end, read)); // a foreign line without its newline
    if (theirs.length) {
      const name = quarantineName(EVENT_LOG);
      writeFileSync(join(runtime, name), Buffer.concat(theirs), { flag: 'wx' });
      findings.push({
        file: EVENT_LOG,
        detail: `${theirs.length} line${theirs.length === 1 ? '' : 's'} (${theirs.reduce((n, b) => n + b.length, 0)} bytes) the runner did not write were appended to the log`,
        quarantined: name,
      });
    }
    // Rebuild the log as a new file and rename it into place: a crash leaves old or new.
    const tmp = join(runtime, `${EVENT_LOG}.tmp-${randomUUID().slice(0, 8)}`);
    const fresh = openSync(tmp, 'wx+');
    try {
      const prefix = Buffer.alloc(64 * 1024);
      for (let pos = 0; pos < open.verified.offset; ) {
        const n = readSync(
          open.fd,
          prefix,
          0,
          Math.min(prefix.length, open.verified.offset - pos),
          pos,
        );
        if (n === 0) break;
        writeSync(fresh, prefix, 0, n);
        pos += n;
      }
      for (const b of ours) writeSync(fresh, b);
      fsyncSync(fresh);
    } finally {
      closeSync(fresh);
    }
    renameSync(tmp, logPath);
    closeSync(open.fd);
    open.fd = openSync(logPath, APPEND_NOFOLLOW);
    const now = fstatSync(open.fd);
    open.verified = { offset: now.size, prev: chain.prev, ino: now.ino };
    open.logOffset = now.size;
    open.chain.prev = chain.prev;
    return findings;
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
    // Never sign a checkpoint over a log that holds foreign bytes: clean it first.
    if (logTouched(open)) await this.#appendNow(open, sprintId, []);
    if (!open.dirty) return;
    const t0 = performance.now();
    fsyncSync(open.fd);
    const keyed = open.chain.mode === 'keyed' && open.chain.key;
    const found = await this.writeCheckpoint(
      sprintId,
      open.location,
      open.definition,
      open.state,
      {
        seq: open.state.lastSeq,
        offset: open.logOffset,
        key: keyed ? open.chain.key! : undefined,
        mac: keyed ? open.chain.prev : undefined,
      },
      open.extra,
    );
    open.dirty = false;
    open.lastCheckpointMs = performance.now() - t0;
    open.lastCheckpointAt = Date.now();
    const recent = open.recent;
    open.recent = new Set(runningTasks(open.state));
    if (found?.length)
      await this.#appendNow(
        open,
        sprintId,
        found.map((f) => tamperingEvent(f, open.state, recent)),
      );
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
    // The same id twice in one batch is a slip in what was written, not an id already present.
    const twice = duplicateIds(tasks);
    if (twice.length) {
      throw new InvalidSprintError(
        twice.map(({ id, first, again }) => ({
          field: `tasks[${again}].id`,
          message: `task id "${id}" appears twice in the tasks to add (entries ${first + 1} and ${again + 1})`,
          fix: 'give each task its own id, or remove one of the two',
        })),
      );
    }
    const present = new Set(definition.tasks.map((t) => t.id));
    const candidates = tasks.filter((t) => !present.has(t.id));
    // Nothing new: say so without taking the lock (which would create the log).
    if (candidates.length === 0) return { added: [], skipped: tasks.map((t) => t.id) };
    const finished = finishedTaskIds(state);
    const early = validateTasks([...definition.tasks, ...candidates], { finished });
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
        const issues = validateTasks([...open.definition.tasks, ...fresh], {
          finished: finishedTaskIds(open.state),
        });
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
    await refuseLink(location.runtimeDir);
    await mkdir(location.runtimeDir, { recursive: true });
    await refuseLink(location.runtimeDir);
    const lockPath = join(location.runtimeDir, LOCK_FILE);
    await takeLockFile(sprintId, lockPath, holder, this.#host);
    await this.#ensureIgnored(location.runtimeDir);
    let open: OpenSprint;
    let findings: TamperFinding[];
    try {
      const current = await this.#readCurrent(sprintId, location);
      findings = current.findings;
      const runtime = location.runtimeDir;
      const logPath = join(runtime, EVENT_LOG);
      // Foreign bytes in the checkpoint files: keep them aside before the next checkpoint.
      for (const f of findings) {
        if (!f.keep) continue;
        const name = quarantineName(basename(f.keep));
        await copyFile(f.keep, join(runtime, name)).then(
          () => {
            f.quarantined = name;
          },
          () => undefined,
        );
      }
      let chain = current.chain;
      if (chain.mode === 'keyless') {
        // Lines no key on this machine can check are not believed: the state is the checkpoint's.
        const name = quarantineName(EVENT_LOG);
        await rename(logPath, join(runtime, name));
        findings = findings.filter((f) => f.file !== EVENT_LOG);
        findings.push({
          file: EVENT_LOG,
          detail: "the log's key is not on this machine, so none of its lines can be checked",
          quarantined: name,
        });
        chain = chainAtStart();
      } else if (current.foreign.length || current.logSize > current.logOffset) {
        const name = current.foreign.length ? quarantineName(EVENT_LOG) : undefined;
        rewriteLogWithout(logPath, current.foreign, current.logOffset, name && join(runtime, name));
        const f = findings.find((x) => x.file === EVENT_LOG && !x.quarantined);
        if (f && name) f.quarantined = name;
      }
      // A log without a key (new, or written before logs were keyed) gets one now.
      if (chain.mode === 'legacy') chain = adoptLog(logPath, createRunnerKey());
      let fd: number;
      try {
        fd = openSync(logPath, APPEND_NOFOLLOW, 0o644);
      } catch (error) {
        throw explainOpenError(logPath, error);
      }
      const st = fstatSync(fd);
      open = {
        definition: current.definition,
        state: current.state,
        location,
        fd,
        logOffset: st.size,
        chain,
        verified: { offset: st.size, prev: chain.prev, ino: st.ino },
        lost: false,
        recent: new Set(),
        holder,
        dirty: current.replayed || findings.length > 0 || current.logOffset !== st.size,
        lastCheckpointAt: 0,
        lastCheckpointMs: 0,
        extra: current.extra,
      };
    } catch (error) {
      forgetLockFile(lockPath);
      await unlink(lockPath).catch(() => undefined);
      throw error;
    }
    open.stopHeartbeat = heartbeatLock(lockPath, holder, () => {
      open.lost = true;
    });
    this.#open.set(sprintId, open);
    if (findings.length) {
      await this.#mutex.run(sprintId, () =>
        this.#appendNow(
          open,
          sprintId,
          findings.map((f) => tamperingEvent(f, open.state)),
        ),
      );
    }
    let released = false;
    return {
      holder,
      release: async () => {
        if (released) return;
        released = true;
        await this.#mutex.run(sprintId, async () => {
          try {
            // The log holds every event; a checkpoint that fails now is redone by the next reader.
            if (!open.lost) await this.#checkpoint(sprintId, open).catch(() => undefined);
          } finally {
            if (open.timer) clearTimeout(open.timer);
            open.stopHeartbeat?.();
            closeSync(open.fd);
            this.#open.delete(sprintId);
            await releaseLockFile(lockPath, holder);
          }
        });
      },
    };
  }

  async inspectLock(sprintId: string): Promise<LockInfo | null> {
    const location = await this.locate(sprintId);
    return readLockFile(join(location.runtimeDir, LOCK_FILE), this.#host);
  }

  // ---- control, context, results --------------------------------------------

  async requestControl(sprintId: string, request: ControlRequest): Promise<void> {
    const location = await this.locate(sprintId);
    await refuseLink(location.runtimeDir);
    await mkdir(location.runtimeDir, { recursive: true });
    const path = join(location.runtimeDir, CONTROL_FILE);
    const expect = logKeyId(location.runtimeDir);
    // A stronger request waiting to be taken is not weakened by a later one (cancel > stop > pause).
    const waiting = parseSigned<ControlRequest>(
      await readTextNoFollow(path).catch(() => null),
      expect,
    );
    if (waiting && CONTROL_RANK[waiting.action] > CONTROL_RANK[request.action]) return;
    await atomicWriteFile(
      path,
      `${signJson(JSON.stringify(request), sprintKey(location.runtimeDir))}\n`,
    );
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
    let text: string | null = null;
    try {
      text = await readTextNoFollow(taken).catch(() => null);
      const read =
        text === null ? null : openSignedJson(text.trim(), logKeyId(location.runtimeDir));
      if (read?.kind === 'forged') {
        // Not from `sprint pause|stop|cancel`: keep it aside, say so, do not obey it.
        const name = quarantineName(CONTROL_FILE);
        await rename(taken, join(location.runtimeDir, name)).catch(() => undefined);
        const open = this.#open.get(sprintId);
        if (open)
          await this.#mutex.run(sprintId, () =>
            this.#appendNow(open, sprintId, [
              tamperingEvent(
                { file: CONTROL_FILE, detail: `a control request ${read.why}`, quarantined: name },
                open.state,
              ),
            ]),
          );
        return null;
      }
      return read ? validControl(JSON.parse(read.body)) : null;
    } catch {
      return null;
    } finally {
      await unlink(taken).catch(() => undefined);
    }
  }

  async readContext(sprintId: string, taskId: string): Promise<{ shared?: string; task?: string }> {
    const location = await this.locate(sprintId);
    const dir = join(location.sprintDir, 'context');
    const read = (name: string) =>
      readTextNoFollow(join(dir, name)).then(
        (t) => t ?? undefined,
        () => undefined,
      );
    const safe = /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(taskId) && !taskId.includes('..');
    const [shared, task] = await Promise.all([
      read('_shared.md'),
      safe ? read(`${taskId}.md`) : undefined,
    ]);
    return { shared, task };
  }

  async saveResult(sprintId: string, result: RunResult): Promise<void> {
    const location = await this.locate(sprintId);
    await refuseLink(location.runtimeDir);
    await atomicWriteFile(
      join(location.runtimeDir, RESULT_FILE),
      `${signJson(JSON.stringify(result, null, 2), sprintKey(location.runtimeDir))}\n`,
    );
  }

  async loadResult(sprintId: string): Promise<RunResult | null> {
    const location = await this.locate(sprintId);
    try {
      const { RunResultSchema } = await import('../runner/run-result.js');
      const raw = parseSigned<unknown>(
        await readTextNoFollow(join(location.runtimeDir, RESULT_FILE)),
        logKeyId(location.runtimeDir),
      );
      if (raw === null) return null;
      const parsed = RunResultSchema.safeParse(raw);
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }
}

/** The body of a signed JSON file, or null when absent, foreign or not JSON. */
function parseSigned<T>(text: string | null, expect: string | null): T | null {
  if (text === null) return null;
  const read = openSignedJson(text.trim(), expect);
  if (read.kind === 'forged') return null;
  try {
    return JSON.parse(read.body) as T;
  } catch {
    return null;
  }
}

/** A control request as `requestControl` writes it, or null. */
function validControl(value: unknown): ControlRequest | null {
  const v = value as ControlRequest | null;
  return v && typeof v === 'object' && v.action in CONTROL_RANK ? v : null;
}

/** Ids that appear more than once in `tasks`, with the positions of the first two. */
function duplicateIds(tasks: readonly Task[]): { id: string; first: number; again: number }[] {
  const firstAt = new Map<string, number>();
  const out: { id: string; first: number; again: number }[] = [];
  tasks.forEach((t, i) => {
    const first = firstAt.get(t.id);
    if (first === undefined) firstAt.set(t.id, i);
    else out.push({ id: t.id, first, again: i });
  });
  return out;
}

interface Watcher {
  timer: NodeJS.Timeout;
  offset: number;
  seq: number;
  chain: LogChain;
}

/** Whether the log holds anything since the runner's last check (cheap: two stats). */
function logTouched(open: OpenSprint): boolean {
  try {
    const disk = lstatSync(join(open.location.runtimeDir, EVENT_LOG));
    return disk.ino !== open.verified.ino || disk.size !== open.verified.offset;
  } catch {
    return true;
  }
}

/** The event that records a foreign write, naming the tasks that were running. */
function tamperingEvent(
  finding: TamperFinding,
  state: SprintState,
  recent: Iterable<string> = [],
): NewRunEvent {
  return {
    type: 'tampering',
    file: finding.file,
    detail: finding.detail,
    taskIds: [...new Set([...runningTasks(state), ...recent])],
    quarantined: finding.quarantined,
  };
}

/** The tasks running in `state`: the likely writers of anything foreign. */
function runningTasks(state: SprintState): string[] {
  return Object.entries(state.tasks)
    .filter(([, t]) => t.status === 'running')
    .map(([id]) => id);
}

/** One finding for the foreign lines of the log. */
function describeForeign(lines: { start: number; end: number; why: string }[]): TamperFinding {
  const bytes = lines.reduce((n, l) => n + l.end - l.start, 0);
  const whys = [...new Set(lines.map((l) => l.why))].join('; ');
  return {
    file: EVENT_LOG,
    detail: `${lines.length} line${lines.length === 1 ? '' : 's'} (${bytes} bytes) the runner did not write: ${whys}`,
  };
}

async function readFileNoFollowOrEmpty(path: string): Promise<Buffer | null> {
  const { readFileNoFollow } = await import('./safe-fs.js');
  return readFileNoFollow(path);
}

/**
 * Gives a log its key: the header first, then every event already there
 * (written by an older runner, trusted as before) sealed into the chain. A new
 * file renamed into place.
 */
function adoptLog(logPath: string, key: RunnerKey): LogChain {
  let buf = Buffer.alloc(0);
  try {
    const fd = openSync(logPath, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const size = fstatSync(fd).size;
      buf = Buffer.alloc(size);
      let read = 0;
      while (read < size) {
        const n = readFileChunk(fd, buf, read, read);
        if (n === 0) break;
        read += n;
      }
      buf = buf.subarray(0, read);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw explainOpenError(logPath, error);
  }
  const chain = chainAfterHeader(key);
  const parts = [logHeader(key)];
  for (const item of readLog(buf, 0, chainAtStart())) {
    if (item.kind === 'event') parts.push(sealEvent(chain, item.event));
  }
  const tmp = `${logPath}.tmp-${randomUUID().slice(0, 8)}`;
  const out = openSync(tmp, 'wx', 0o644);
  try {
    writeSync(out, parts.join(''));
    fsyncSync(out);
  } finally {
    closeSync(out);
  }
  renameSync(tmp, logPath);
  return chain;
}

/**
 * Rewrites the log without the foreign byte ranges and without a torn tail
 * (past `end`), keeping the foreign bytes in `quarantine`. A new file renamed
 * into place: a crash leaves the old log or the new, never a mix.
 */
function rewriteLogWithout(
  logPath: string,
  foreign: { start: number; end: number }[],
  end: number,
  quarantine: string | undefined,
): void {
  const fd = openSync(logPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  let buf: Buffer;
  try {
    buf = Buffer.alloc(end);
    let read = 0;
    while (read < end) {
      const n = readFileChunk(fd, buf, read, read);
      if (n === 0) break;
      read += n;
    }
    buf = buf.subarray(0, read);
  } finally {
    closeSync(fd);
  }
  const keep: Buffer[] = [];
  const away: Buffer[] = [];
  let pos = 0;
  for (const f of foreign) {
    keep.push(buf.subarray(pos, f.start));
    away.push(buf.subarray(f.start, f.end));
    pos = f.end;
  }
  keep.push(buf.subarray(pos));
  if (quarantine) writeFileSync(quarantine, Buffer.concat(away), { flag: 'wx' });
  const tmp = `${logPath}.tmp-${randomUUID().slice(0, 8)}`;
  const out = openSync(tmp, 'wx');
  try {
    for (const b of keep) writeSync(out, b);
    fsyncSync(out);
  } finally {
    closeSync(out);
  }
  renameSync(tmp, logPath);
}

function readFileChunk(fd: number, buf: Buffer, offset: number, position: number): number {
  return readSync(fd, buf, offset, buf.length - offset, position);
}
