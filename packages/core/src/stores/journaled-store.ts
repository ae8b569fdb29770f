import { randomUUID } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  lstatSync,
  openSync,
  writeSync,
} from 'node:fs';
import { copyFile, mkdir, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join } from 'node:path';
import { copyPlain } from '../model/copy-plain.js';
import {
  InvalidSprintError,
  type LockHolder,
  SprintError,
  SprintFinishedError,
  SprintLockedError,
  SprintLogLostError,
} from '../model/errors.js';
import type { NewRunEvent, RunEvent } from '../model/events.js';
import { applyEventInPlace } from '../model/fold.js';
import type { SprintDefinition, Task } from '../model/sprint.js';
import type { SprintState } from '../model/state.js';
import { isFinalSprintStatus } from '../model/transitions.js';
import { finishedTaskIds, validateTasks } from '../model/validate.js';
import type { RunResult } from '../runner/run-result.js';
import { atomicWriteFile } from './atomic-file.js';
import { CHECKPOINT_RETRY_MS, checkpointDelay } from './checkpoint-pacing.js';
import { chainAtStart, EVENT_LOG, sealEvent } from './event-log.js';
import {
  forgetLockFile,
  heartbeatLock,
  LOCK_FILE,
  readLockFile,
  releaseLockFile,
  takeLockFile,
} from './lock-file.js';
import { adoptLog, guardLog, type HeldLog, logTouched, rewriteLogWithout } from './log-guard.js';
import { checkLogRecord, forgetLogRecord, readLostLog, writeLogRecord } from './log-record.js';
import { replayLog, type SprintBase, type SprintLocation } from './log-replay.js';
import { LogTail } from './log-tail.js';
import {
  RUN_LOG,
  readContextFiles,
  readResultFile,
  takeControlRequest,
  writeControlRequest,
  writeResultFile,
} from './runner-files.js';
import { createRunnerKey, type RunnerKey } from './runner-secret.js';
import { APPEND_NOFOLLOW, explainOpenError, readTextNoFollow, refuseLink } from './safe-fs.js';
import { logKeyId } from './signed-json.js';
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
  KeyedMutex,
  needsPromptCheckpoint,
  stampEvent,
} from './store-kit.js';
import {
  moveAside,
  quarantineName,
  runningTasks,
  type TamperFinding,
  tamperingEvent,
} from './tamper-findings.js';
import { duplicateIdIssues, splitNewTasks } from './task-batch.js';

export type { SprintBase, SprintLocation } from './log-replay.js';
export type { TamperFinding } from './tamper-findings.js';
export { EVENT_LOG, quarantineName, RUN_LOG };

/** A sprint this process holds the lock of. */
interface OpenSprint extends HeldLog {
  definition: SprintDefinition;
  state: SprintState;
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
  readonly #tail = new LogTail(
    (sprintId) => this.locate(sprintId),
    (sprintId) => this.#open.has(sprintId),
  );
  readonly #host = hostname();
  /** The files each sprint's `version` stats, the lock's last. */
  readonly #versionFiles = new Map<string, readonly string[]>();

  /** Finds the sprint's files; throws SprintNotFoundError. */
  protected abstract locate(sprintId: string): Promise<SprintLocation>;
  /**
   * Reads the checkpoint. `log.key`: the key the runner's files must be
   * signed with (the record's, else the log's); `log.lost`: the log is not
   * the runner's (see `log-record.ts`), so only the runner's own signed
   * checkpoint may say what happened, never the files a task could rewrite.
   */
  protected abstract readBase(
    sprintId: string,
    location: SprintLocation,
    log: { key: string | null; lost: boolean },
  ): Promise<SprintBase & { extra: unknown }>;
  /** Writes the checkpoint atomically, signed with `log.key` when there is one. */
  protected abstract writeCheckpoint(
    sprintId: string,
    location: SprintLocation,
    definition: SprintDefinition,
    state: SprintState,
    log: { seq: number; offset: number; key?: RunnerKey; mac?: string },
    extra: unknown,
  ): Promise<void>;
  /**
   * Foreign writes to the checkpoint's files since the runner last wrote them, already kept
   * aside. Asked before each checkpoint, which overwrites them: the runner logs them first,
   * so a crash in between loses no finding.
   */
  protected foreignCheckpointWrites(_location: SprintLocation): Promise<TamperFinding[]> {
    return Promise.resolve([]);
  }
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
        definition: copyPlain(open.definition),
        state: copyPlain(open.state),
        projectDir: open.location.projectDir,
        sprintDir: open.location.sprintDir,
        runtimeDir: open.location.runtimeDir,
        files: open.location.files,
      };
    }
    const location = await this.locate(sprintId);
    let current = await this.#readCurrent(sprintId, location);
    // A sprint whose log is lost and whose state is not the runner's waits for a person.
    const held = current.lost && !current.lost.trusted;
    if (current.replayed && !held && (await this.#repair(sprintId, location))) {
      current = await this.#readCurrent(sprintId, location);
    }
    const { definition, state } = current;
    // Found but not yet recorded (only the lock holder records): shown, not stored.
    if (current.findings.length) {
      const taskIds = runningTasks(state);
      const at = new Date().toISOString();
      state.tampering = [
        ...(state.tampering ?? []),
        ...current.findings.map((f) => ({
          at,
          file: f.file,
          detail: f.detail,
          taskIds: [...new Set([...(f.taskIds ?? []), ...taskIds])],
        })),
      ];
    }
    return {
      definition,
      state,
      projectDir: location.projectDir,
      sprintDir: location.sprintDir,
      runtimeDir: location.runtimeDir,
      files: location.files,
      ...(held ? { logLost: current.lost!.detail } : {}),
    };
  }

  /**
   * The sprint's version: inode, size, mtime and ctime of what a load and the lock read
   * (its user files, the event log, the checkpoint, the lock), and whether the lock's
   * holder is alive. Any write by any process changes one of them (the log only grows;
   * the others are replaced by rename, a new inode), so a body cached for a version is
   * never stale. (A control request is not read by a load: it has no part in it.)
   * Synchronous stats of remembered paths: a few microseconds each, next to
   * milliseconds for a load.
   */
  async version(sprintId: string): Promise<string> {
    let paths = this.#versionFiles.get(sprintId);
    if (!paths) {
      const location = await this.locate(sprintId);
      paths = [
        ...location.files,
        ...[EVENT_LOG, 'state.json', LOCK_FILE].map((n) => join(location.runtimeDir, n)),
      ];
      this.#versionFiles.set(sprintId, paths);
    }
    const parts = paths.map((path) => {
      const s = lstatSync(path, { bigint: true, throwIfNoEntry: false });
      return s ? `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}` : '-';
    });
    if (parts.every((p) => p === '-')) {
      // Gone (or moved): the next version finds it again, or load says why not.
      this.#versionFiles.delete(sprintId);
    }
    if (parts.at(-1) !== '-') {
      // A holder that died leaves its lock file as it was: ask whether it lives.
      const lock = await readLockFile(paths.at(-1)!, this.#host).catch(() => null);
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
   * The sprint as its files say now (see `replayLog`), or, when the log is
   * not the one the runner's record knows, as `readLostLog` says.
   */
  async #readCurrent(sprintId: string, location: SprintLocation) {
    const { record, lost } = checkLogRecord(location.runtimeDir);
    const key = record?.key ?? logKeyId(location.runtimeDir);
    const base = await this.readBase(sprintId, location, { key, lost: !!lost });
    return record && lost ? readLostLog(base, record, lost, location) : replayLog(base, location);
  }

  readEvents(
    sprintId: string,
    options: { afterSeq?: number; limit?: number } = {},
  ): Promise<RunEvent[]> {
    return this.#tail.readEvents(sprintId, options);
  }

  subscribe(sprintId: string, listener: (event: RunEvent) => void): () => void {
    return this.#tail.subscribe(sprintId, listener);
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
    const found = guardLog(open);
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
      this.#tail.appended(sprintId, stored, open.logOffset, open.chain);
      if (open.dirty)
        await this.#maybeCheckpoint(sprintId, open, prompt).catch(() =>
          this.#retryCheckpoint(sprintId, open),
        );
    }
    if (failure) throw failure;
    return stored;
  }

  async #maybeCheckpoint(sprintId: string, open: OpenSprint, now: boolean): Promise<void> {
    const delay = checkpointDelay(open, Date.now(), now);
    if (delay === 0) {
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
      }, delay);
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
    }, CHECKPOINT_RETRY_MS);
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
    const foreign = await this.foreignCheckpointWrites(open.location);
    if (foreign.length) {
      await this.#appendNow(
        open,
        sprintId,
        foreign.map((f) => tamperingEvent(f, open.state, open.recent)),
      );
      // The append may have checkpointed already.
      if (!open.dirty) return;
    }
    const t0 = performance.now();
    fsyncSync(open.fd);
    const keyed = open.chain.mode === 'keyed' && open.chain.key;
    const point = keyed
      ? { key: open.chain.key!.id, offset: open.logOffset, mac: open.chain.prev }
      : undefined;
    await this.writeCheckpoint(
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
    // The log is synced up to here and the checkpoint names this point: record it outside the project.
    if (point) writeLogRecord(open.location.runtimeDir, point, open.state);
    open.dirty = false;
    open.lastCheckpointMs = performance.now() - t0;
    open.lastCheckpointAt = Date.now();
    open.recent = new Set(runningTasks(open.state));
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
    const twice = duplicateIdIssues(tasks);
    if (twice.length) throw new InvalidSprintError(twice);
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
        const { fresh, skipped } = splitNewTasks(open.definition.tasks, tasks);
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

  acquireLock(sprintId: string, holder: LockHolder): Promise<SprintLock> {
    return this.#acquire(sprintId, holder, false);
  }

  /**
   * Takes the sprint's files as they are when its log is lost and no
   * checkpoint of the runner's is left (see `log-record.ts`): for a person who
   * removed or replaced the runner's files on purpose, to start again from
   * PROGRESS.yaml (or the document). What the runner's record does not vouch
   * for (the log, state.json) is kept aside, the record is forgotten, and a
   * `tampering` event says what was found and that the files were trusted.
   * Returns whether there was anything to trust (false: the log is the
   * runner's, and nothing changed).
   */
  async trustFiles(sprintId: string): Promise<boolean> {
    const location = await this.locate(sprintId);
    if (!checkLogRecord(location.runtimeDir).lost) return false;
    const lock = await this.#acquire(sprintId, this.#tempHolder(), true);
    await lock.release();
    return true;
  }

  async #acquire(sprintId: string, holder: LockHolder, trustFiles: boolean): Promise<SprintLock> {
    const location = await this.locate(sprintId);
    await refuseLink(location.runtimeDir);
    await mkdir(location.runtimeDir, { recursive: true });
    await refuseLink(location.runtimeDir);
    const lockPath = join(location.runtimeDir, LOCK_FILE);
    await takeLockFile(sprintId, lockPath, holder, this.#host);
    let open: OpenSprint;
    let findings: TamperFinding[];
    try {
      const runtime = location.runtimeDir;
      const logPath = join(runtime, EVENT_LOG);
      let current = await this.#readCurrent(sprintId, location);
      if (current.lost && trustFiles) {
        // The person takes the files as theirs: what the record does not vouch for goes aside,
        // the record with it, and the sprint reads as a copy elsewhere would.
        const { detail } = current.lost;
        const running = current.findings.find((f) => f.file === EVENT_LOG)?.taskIds;
        const aside = await moveAside(runtime, EVENT_LOG);
        await moveAside(runtime, 'state.json');
        forgetLogRecord(runtime);
        current = await this.#readCurrent(sprintId, location);
        current.findings.push({
          file: EVENT_LOG,
          detail: `${detail}; the sprint's files were trusted as they are, as asked`,
          taskIds: running,
          quarantined: aside,
        });
      } else if (current.lost && !current.lost.trusted) {
        throw new SprintLogLostError(sprintId, current.lost.detail);
      }
      await this.#ensureIgnored(runtime);
      findings = current.findings;
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
      if (current.lost) {
        // Not the runner's log: kept aside; a new one goes on from the runner's last checkpoint.
        const name = await moveAside(runtime, EVENT_LOG);
        const f = findings.find((x) => x.file === EVENT_LOG && !x.quarantined);
        if (f && name) f.quarantined = name;
        chain = chainAtStart();
      } else if (chain.mode === 'keyless') {
        // Lines no key on this machine can check are not believed: the state is the checkpoint's.
        const name = await moveAside(runtime, EVENT_LOG);
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
      if (chain.mode === 'legacy') {
        // A log without a key (new, or written before logs were keyed) gets one now. The
        // record of an old key goes first: a crash in between leaves none, not a false alarm.
        // A lost log's record stays until the first checkpoint under the new key: a crash
        // before it finds the log lost again, and the runner's checkpoint with it.
        if (!current.lost) forgetLogRecord(runtime);
        chain = adoptLog(logPath, createRunnerKey());
      }
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
    await writeControlRequest(location.runtimeDir, request);
  }

  async takeControl(sprintId: string): Promise<ControlRequest | null> {
    const location = await this.locate(sprintId);
    const taken = await takeControlRequest(location.runtimeDir);
    if (taken && 'forged' in taken) {
      // Not from `sprint pause|stop|cancel`: kept aside, said, not obeyed.
      const open = this.#open.get(sprintId);
      if (open)
        await this.#mutex
          .run(sprintId, () =>
            this.#appendNow(open, sprintId, [tamperingEvent(taken.forged, open.state)]),
          )
          .catch(() => undefined);
      return null;
    }
    return taken;
  }

  async readContext(sprintId: string, taskId: string): Promise<{ shared?: string; task?: string }> {
    const location = await this.locate(sprintId);
    return readContextFiles(location.sprintDir, taskId);
  }

  async saveResult(sprintId: string, result: RunResult): Promise<void> {
    const location = await this.locate(sprintId);
    await writeResultFile(location.runtimeDir, result);
  }

  async loadResult(sprintId: string): Promise<RunResult | null> {
    const location = await this.locate(sprintId);
    return readResultFile(location.runtimeDir);
  }
}
