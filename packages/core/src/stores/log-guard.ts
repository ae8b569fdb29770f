import { randomUUID } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  readSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { plural } from '../model/plural.js';
import {
  chainAfterHeader,
  chainAtStart,
  EVENT_LOG,
  type LogChain,
  logHeader,
  readLog,
  sealEvent,
} from './event-log.js';
import { readRange, type SprintLocation } from './log-replay.js';
import type { RunnerKey } from './runner-secret.js';
import { APPEND_NOFOLLOW, explainOpenError } from './safe-fs.js';
import { quarantineName, type TamperFinding } from './tamper-findings.js';

/**
 * The event log as the lock holder holds it open: what it has written and
 * checked. Keeping the log exactly the runner's own lines is this file's idea.
 */
export interface HeldLog {
  location: SprintLocation;
  fd: number;
  logOffset: number;
  /** The chain the next appended line extends. */
  chain: LogChain;
  /** The log is exactly the runner's bytes up to here, where the chain stood at `prev`. */
  verified: { offset: number; prev: string; ino: number };
}

/** Whether the log holds anything since the runner's last check (cheap: two stats). */
export function logTouched(log: HeldLog): boolean {
  try {
    const disk = lstatSync(join(log.location.runtimeDir, EVENT_LOG));
    return disk.ino !== log.verified.ino || disk.size !== log.verified.offset;
  } catch {
    return true;
  }
}

/**
 * Finds bytes in the log this runner did not write since it last checked (or
 * a log replaced under it), keeps them aside in a quarantine file beside the
 * log, and puts the log back to exactly the runner's lines. Synchronous, so
 * nothing of this process interleaves; returns what it found.
 */
export function guardLog(log: HeldLog): TamperFinding[] {
  const logPath = join(log.location.runtimeDir, EVENT_LOG);
  const st = fstatSync(log.fd);
  let onDisk: ReturnType<typeof lstatSync> | undefined;
  try {
    onDisk = lstatSync(logPath);
  } catch {
    onDisk = undefined;
  }
  const replaced = !onDisk || onDisk.ino !== log.verified.ino || onDisk.isSymbolicLink();
  if (!replaced && st.size === log.verified.offset) return [];
  const runtime = log.location.runtimeDir;
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
  const tail = readRange(log.fd, log.verified.offset, Math.max(0, st.size - log.verified.offset));
  const chain: LogChain = { ...log.chain, prev: log.verified.prev };
  const ours: Buffer[] = [];
  const theirs: Buffer[] = [];
  let end = 0;
  for (const item of readLog(tail, 0, chain)) {
    (item.kind === 'event' ? ours : theirs).push(tail.subarray(item.start, item.end));
    end = item.end;
  }
  if (end < tail.length) theirs.push(tail.subarray(end)); // a foreign line without its newline
  if (theirs.length) {
    const name = quarantineName(EVENT_LOG);
    writeFileSync(join(runtime, name), Buffer.concat(theirs), { flag: 'wx' });
    findings.push({
      file: EVENT_LOG,
      detail: `${plural(theirs.length, 'line')} (${theirs.reduce((n, b) => n + b.length, 0)} bytes) the runner did not write were appended to the log`,
      quarantined: name,
    });
  }
  // Rebuild the log as a new file and rename it into place: a crash leaves old or new.
  const tmp = join(runtime, `${EVENT_LOG}.tmp-${randomUUID().slice(0, 8)}`);
  const fresh = openSync(tmp, 'wx+');
  try {
    const prefix = Buffer.alloc(64 * 1024);
    for (let pos = 0; pos < log.verified.offset; ) {
      const n = readSync(
        log.fd,
        prefix,
        0,
        Math.min(prefix.length, log.verified.offset - pos),
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
  closeSync(log.fd);
  log.fd = openSync(logPath, APPEND_NOFOLLOW);
  const now = fstatSync(log.fd);
  log.verified = { offset: now.size, prev: chain.prev, ino: now.ino };
  log.logOffset = now.size;
  log.chain.prev = chain.prev;
  return findings;
}

/**
 * Gives a log its key: the header first, then every event already there
 * (written by an older runner, trusted as before) sealed into the chain. A new
 * file renamed into place.
 */
export function adoptLog(logPath: string, key: RunnerKey): LogChain {
  let buf: Buffer = Buffer.alloc(0);
  try {
    const fd = openSync(logPath, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      buf = readRange(fd, 0, fstatSync(fd).size);
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
export function rewriteLogWithout(
  logPath: string,
  foreign: { start: number; end: number }[],
  end: number,
  quarantine: string | undefined,
): void {
  const fd = openSync(logPath, constants.O_RDONLY | constants.O_NOFOLLOW);
  let buf: Buffer;
  try {
    buf = readRange(fd, 0, end);
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
