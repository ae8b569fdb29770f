import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { SprintState } from '../model/state.js';
import type { SprintStatus } from '../model/status.js';
import {
  chainAtStart,
  EVENT_LOG,
  headerKeyId,
  SEALED_TAIL_BYTES,
  sealedLineMac,
} from './event-log.js';
import {
  type ReplayedSprint,
  readRange,
  type SprintBase,
  type SprintLocation,
} from './log-replay.js';
import { sprintStateHome } from './runner-secret.js';
import { runningTasks, type TamperFinding } from './tamper-findings.js';

/**
 * What the runner last verified of a sprint's event log, kept outside the
 * project beside the keys (`<state home>/logs/`), one small file per sprint
 * location: the key the log uses and the point up to which it was the
 * runner's. Anyone who can write in the project can delete or replace every
 * file there, the log included; this record is out of its reach, so a log
 * that is gone, keyed with another key, shorter, or different up to that
 * point is found out even when nothing the runner wrote is left beside it.
 *
 * Written at each checkpoint (never per event, no fsync of its own), after
 * the log was synced: the log only grows past it, so a crash between an
 * append and the record's update never looks like tampering. A location is
 * this host and the real path of the sprint's runtime folder: a copy or a
 * clone elsewhere, or a project at the same path on another machine sharing
 * the home folder, has no record and is not judged by one.
 */
export interface LogRecord {
  /** The runtime folder's real path (for a person reading the file). */
  dir: string;
  /** The log's key id. */
  key: string;
  /** The log was the runner's up to this byte, where its chain stood at `mac`. */
  offset: number;
  mac: string;
  seq: number;
  /** The sprint's status and running tasks then: what is known when the log is gone. */
  status: SprintStatus;
  running: string[];
}

/** The record's file for a runtime folder, or null when its parent folder does not exist. */
function recordPath(runtimeDir: string): { file: string; dir: string } | null {
  let real: string;
  try {
    real = join(realpathSync.native(dirname(runtimeDir)), basename(runtimeDir));
  } catch {
    return null;
  }
  const id = createHash('sha256').update(`${hostname()}\0${real}`).digest('hex').slice(0, 32);
  return { file: join(sprintStateHome(), 'logs', `${id}.json`), dir: real };
}

/** The record for the sprint whose runner files are in `runtimeDir`, or null (none, or unreadable). */
function readLogRecord(runtimeDir: string): LogRecord | null {
  const at = recordPath(runtimeDir);
  if (!at) return null;
  try {
    const fd = openSync(at.file, constants.O_RDONLY | constants.O_NOFOLLOW);
    let text: string;
    try {
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
    const r = JSON.parse(text) as LogRecord;
    const ok =
      r.dir === at.dir &&
      typeof r.key === 'string' &&
      typeof r.mac === 'string' &&
      Number.isSafeInteger(r.offset) &&
      Number.isSafeInteger(r.seq) &&
      typeof r.status === 'string' &&
      Array.isArray(r.running);
    return ok ? r : null;
  } catch {
    // None, or torn by a crash: no record, and nothing judged by it.
    return null;
  }
}

/**
 * Records how far the runner verified the log: the key, the end of its last
 * line and the chain's digest there, and the sprint's status. Best effort
 * (a state home it cannot write only means no record); a new file renamed
 * over the old, so a reader sees one or the other.
 */
export function writeLogRecord(
  runtimeDir: string,
  point: { key: string; offset: number; mac: string },
  state: SprintState,
): void {
  const at = recordPath(runtimeDir);
  if (!at) return;
  const record: LogRecord = {
    dir: at.dir,
    ...point,
    seq: state.lastSeq,
    status: state.status,
    running: runningTasks(state),
  };
  const tmp = `${at.file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    mkdirSync(dirname(at.file), { recursive: true, mode: 0o700 });
    writeFileSync(tmp, `${JSON.stringify(record)}\n`, { flag: 'wx', mode: 0o600 });
    renameSync(tmp, at.file);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // never written
    }
  }
}

/**
 * Forgets the record of a location: before its log gets a new key (a crash
 * in between then leaves no record, never a false alarm), and when a sprint
 * is created there. Throws when the record stays (it would then judge the new log).
 */
export function forgetLogRecord(runtimeDir: string): void {
  const at = recordPath(runtimeDir);
  if (!at) return;
  try {
    unlinkSync(at.file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** What a reader sees of the log, for `judgeLog`. */
export interface LogFacts {
  size: number;
  /** The key id its first line names (null: no header). */
  key: string | null;
  /** The chain's digest where the record's offset falls (a line's, or the key id right after the header). */
  macAt: string | null;
}

/**
 * Whether the log is still the one the record knows: null when it is, else
 * what is wrong with it. `log` null: there is no log.
 */
export function judgeLog(record: LogRecord, log: LogFacts | null): string | null {
  if (!log) return `the log is gone (the runner had written it up to event ${record.seq})`;
  if (log.key !== record.key)
    return log.key
      ? 'the log was replaced by one with another key'
      : "the log was replaced by one without the runner's key";
  if (log.size < record.offset)
    return `the log is ${log.size} bytes, shorter than the ${record.offset} the runner had written`;
  if (log.macAt !== record.mac)
    return `the log was replaced: its first ${record.offset} bytes are not the runner's`;
  return null;
}

/** The log's facts `judgeLog` needs; null when there is none, undefined when it cannot tell (a link, a folder: reported elsewhere). */
function readLogFacts(runtimeDir: string, offset: number): LogFacts | null | undefined {
  let fd: number;
  try {
    fd = openSync(join(runtimeDir, EVENT_LOG), constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? null : undefined;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return undefined;
    const head = readRange(fd, 0, 64).toString('utf8');
    const nl = head.indexOf('\n');
    const key = nl < 0 ? null : headerKeyId(head.slice(0, nl));
    let macAt: string | null = null;
    if (key && st.size >= offset) {
      macAt =
        offset === nl + 1
          ? key
          : sealedLineMac(
              readRange(fd, offset - SEALED_TAIL_BYTES, SEALED_TAIL_BYTES).toString('latin1'),
            );
    }
    return { size: st.size, key, macAt };
  } finally {
    closeSync(fd);
  }
}

/** The sprint's record, and what is wrong with its log by that record (null: nothing, or no record). */
export function checkLogRecord(runtimeDir: string): {
  record: LogRecord | null;
  lost: string | null;
} {
  const record = readLogRecord(runtimeDir);
  if (!record || record.offset < 1) return { record: null, lost: null };
  const facts = readLogFacts(runtimeDir, record.offset);
  return { record, lost: facts === undefined ? null : judgeLog(record, facts) };
}

/**
 * The sprint when its log is lost (see `judgeLog`). The runner's last
 * checkpoint, signed with the record's key at or past the record's point,
 * is its own state: the run goes on from it. Anything else is only what is
 * left (PROGRESS.yaml, a copy of an older state): shown with the status the
 * runner last recorded, never `completed` on its word, and no run starts
 * from it. Whatever log is there now is not replayed.
 */
export function readLostLog(
  base: SprintBase & { extra: unknown },
  record: LogRecord,
  detail: string,
  location: SprintLocation,
): ReplayedSprint {
  const trusted =
    base.logKey === record.key &&
    base.logMac !== undefined &&
    (base.logOffset > record.offset ||
      (base.logOffset === record.offset && base.logMac === record.mac));
  const state = base.state;
  if (!trusted) state.status = record.status;
  const finding: TamperFinding = {
    file: EVENT_LOG,
    detail: trusted
      ? `${detail}; the runner keeps its last checkpoint (state.json)`
      : `${detail}; what is left is not the runner's record, so no run starts from it until the files are trusted as they are (sprint resume --trust-files)`,
    taskIds: record.running,
  };
  const st = lstatSync(join(location.runtimeDir, EVENT_LOG), { throwIfNoEntry: false });
  return {
    definition: base.definition,
    state,
    extra: base.extra,
    logOffset: 0,
    logSize: st?.size ?? 0,
    logIno: st?.ino ?? 0,
    chain: chainAtStart(),
    foreign: [],
    findings: [...(base.findings ?? []), finding],
    replayed: true,
    lost: { detail, trusted },
  };
}
