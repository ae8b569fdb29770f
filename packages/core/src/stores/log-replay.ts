import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { applyEventInPlace } from '../model/fold.js';
import type { SprintDefinition } from '../model/sprint.js';
import type { SprintState } from '../model/state.js';
import { chainAt, chainAtStart, EVENT_LOG, type LogChain, readLog } from './event-log.js';
import { explainOpenError } from './safe-fs.js';
import { describeForeign, type TamperFinding } from './tamper-findings.js';

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

/** A sprint as its files say now: the checkpoint with the log's tail replayed onto it. */
export interface ReplayedSprint {
  definition: SprintDefinition;
  state: SprintState;
  extra: unknown;
  /** The end of the last line read (a torn tail lies past it). */
  logOffset: number;
  logSize: number;
  logIno: number;
  /** The chain the next line extends. */
  chain: LogChain;
  /** Byte ranges of lines the runner did not write. */
  foreign: { start: number; end: number; why: string }[];
  findings: TamperFinding[];
  /** Events past the checkpoint: the file form is behind and must be rewritten. */
  replayed: boolean;
  /**
   * The log is not the one the runner's record outside the project knows (see
   * `log-record.ts`): why, and whether the state is the runner's own (its last
   * checkpoint) or only what is left, from which no run may start.
   */
  lost?: { detail: string; trusted: boolean };
}

/**
 * The checkpoint, then every event of the log past it that the runner wrote.
 * Lines that do not chain are foreign: skipped, and reported with what the
 * checkpoint files showed. Reads only; changes nothing on disk.
 */
export function replayLog(
  base: SprintBase & { extra: unknown },
  location: SprintLocation,
): ReplayedSprint {
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
  let buf: Buffer = Buffer.alloc(0);
  let size = 0;
  let ino = 0;
  let fd: number | undefined;
  try {
    fd = openSync(logPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw explainOpenError(logPath, error);
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
      if (size > offset) buf = readRange(fd, offset, size - offset);
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
    replayed: state.lastSeq !== base.logSeq || findings.length > 0,
  };
}

/** Up to `length` bytes of `fd` from `position` (fewer when the file is shorter). */
export function readRange(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let read = 0;
  while (read < length) {
    const n = readSync(fd, buf, read, length - read, position + read);
    if (n === 0) break;
    read += n;
  }
  return buf.subarray(0, read);
}
