import { createHash, randomUUID } from 'node:crypto';
import { link, lstat, open, rename, rm, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { type LockHolder, SprintLockedError } from '../model/errors.js';
import { isSameProcessAlive, processStartTime } from '../process/process-group.js';
import { readTextNoFollow } from './safe-fs.js';
import type { LockInfo } from './sprint-store.js';

/** The single-runner lock file in a sprint's runtime folder. */
export const LOCK_FILE = 'runner.lock';

/** How often a holder touches its lock, and when a lock from another host counts as stale. */
const LOCK_HEARTBEAT_MS = 10_000;
export const LOCK_STALE_MS = 60_000;
/** A lock file that does not parse is being created for this long, then it is torn (stale). */
export const TORN_LOCK_MS = 5_000;

/** What a lock path that is a link or a folder reads as: nobody's lock. */
const NOT_A_LOCK = '\u0000not a lock';

/** Locks this process holds, by lock path: a same-PID lock not listed here is a leftover. */
const heldLocks = new Map<string, string>();
/** Run ids this process is taking a lock for right now: their claims are alive. */
const takingRunIds = new Set<string>();

/**
 * Whether the holder of a lock is alive, as far as this host can tell: on the
 * same host by pid and process start time (a lock with this process's pid is
 * alive only while this process holds it), on another host by the age of the
 * last heartbeat. A pure decision over what was read.
 */
export function judgeLock(
  holder: LockHolder | null,
  seen: { host: string; pid: number; mtimeMs: number; now: number; heldRunIds: string[] },
  isAlive: (pid: number, pidStart?: string) => boolean = isSameProcessAlive,
): boolean {
  if (!holder) return seen.now - seen.mtimeMs < TORN_LOCK_MS;
  if (holder.host === seen.host) {
    return holder.pid === seen.pid
      ? seen.heldRunIds.includes(holder.runId)
      : isAlive(holder.pid, holder.pidStart);
  }
  return seen.now - seen.mtimeMs < LOCK_STALE_MS;
}

/** The lock at `lockPath` with its liveness, or null when there is none. */
export async function readLockFile(lockPath: string, host: string): Promise<LockInfo | null> {
  let text: string | null;
  let mtimeMs: number;
  try {
    text = await readTextNoFollow(lockPath);
    if (text === null) return null;
    mtimeMs = (await lstat(lockPath)).mtimeMs;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let holder: LockHolder | null = null;
  try {
    const parsed = JSON.parse(text) as LockHolder;
    if (parsed && typeof parsed.pid === 'number' && typeof parsed.runId === 'string')
      holder = parsed;
  } catch {
    // A lock file that does not parse was torn by a crash while being created.
  }
  const alive = judgeLock(holder, {
    host,
    pid: process.pid,
    mtimeMs,
    now: Date.now(),
    heldRunIds: [...heldLocks.values(), ...takingRunIds],
  });
  return holder ? { ...holder, alive } : { pid: 0, host: '?', runId: '?', startedAt: '?', alive };
}

/**
 * Takes the lock for `holder`, taking over a stale one. Created by hard link
 * from a fully written temp file, so no reader ever sees it half written. A
 * stale lock is taken over only by the one taker that first creates its claim
 * (a file named after the exact stale bytes, created exclusively), so any
 * number of takers racing for one stale lock leave exactly one winner; nobody
 * ever moves a lock aside that it has not judged.
 */
export async function takeLockFile(
  sprintId: string,
  lockPath: string,
  holder: LockHolder,
  host: string,
): Promise<void> {
  const body = `${JSON.stringify(holder)}\n`;
  const tmp = `${lockPath}.new-${randomUUID()}`;
  // On disk before it counts: a lock that a crash of the system (or a file system
  // turning read-only) left empty would read as a run starting, and hold off a resume.
  const handle = await open(tmp, 'wx');
  try {
    await handle.writeFile(body);
    await handle.sync();
  } finally {
    await handle.close();
  }
  takingRunIds.add(holder.runId);
  try {
    for (let tries = 0; tries < 8; tries++) {
      try {
        await link(tmp, lockPath);
        heldLocks.set(lockPath, holder.runId);
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const seen = await readLockText(lockPath);
      if (seen === null) continue; // released meanwhile: try again
      const info = seen === NOT_A_LOCK ? null : await readLockFile(lockPath, host);
      if (info?.alive) throw new SprintLockedError(sprintId, info);
      const claims = await claimTakeover(lockPath, seen, tmp, host);
      if (!claims) {
        // Another taker claimed this stale lock first: its fresh lock decides.
        throw new SprintLockedError(sprintId, (await readLockFile(lockPath, host)) ?? undefined);
      }
      try {
        // Only the claimant moves the stale lock, and only if it is still the one judged.
        if ((await readLockText(lockPath)) !== seen) continue;
        const aside = `${lockPath}.stale-${randomUUID()}`;
        try {
          await rename(lockPath, aside);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw error;
        }
        await rm(aside, { recursive: true, force: true }).catch(() => undefined);
      } finally {
        for (const claim of claims) await unlink(claim).catch(() => undefined);
      }
    }
    throw new SprintLockedError(sprintId);
  } finally {
    takingRunIds.delete(holder.runId);
    await unlink(tmp).catch(() => undefined);
  }
}

/** The text of the lock file, NOT_A_LOCK for a link or folder, null when there is none. */
async function readLockText(lockPath: string): Promise<string | null> {
  return readTextNoFollow(lockPath).catch((error: unknown) => {
    // A lock that is a link or a folder is nobody's lock: it is taken over like a stale one.
    if ((error as { code?: string }).code === 'INVALID_SPRINT') return NOT_A_LOCK;
    throw error;
  });
}

/**
 * Claims the right to take over the stale `target` whose text is `seen`: the
 * claim is the file `<lock>.claim-<hash of seen>`, created exclusively from
 * `tmp` (the claimant's holder). A claim left by a claimant that died is
 * itself claimed the same way. Returns the claim files to remove once the
 * takeover is done, or null when another live taker holds the claim.
 */
async function claimTakeover(
  target: string,
  seen: string,
  tmp: string,
  host: string,
  depth = 0,
): Promise<string[] | null> {
  const base = target.replace(/\.claim-[0-9a-f]+$/, '');
  const claim = `${base}.claim-${createHash('sha256').update(seen).digest('hex').slice(0, 24)}`;
  for (let tries = 0; tries < 4 && depth < 4; tries++) {
    try {
      await link(tmp, claim);
      return [claim];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const claimText = await readLockText(claim);
    if (claimText === null) continue; // the claimant finished meanwhile
    const info = claimText === NOT_A_LOCK ? null : await readLockFile(claim, host);
    if (info?.alive) return null;
    const deeper = await claimTakeover(claim, claimText, tmp, host, depth + 1);
    if (!deeper) return null;
    // The dead claimant's claim is ours now; it goes with the takeover.
    if ((await readLockText(claim)) === claimText) return [claim, ...deeper];
    for (const c of deeper) await unlink(c).catch(() => undefined);
  }
  return null;
}

/**
 * Touches the lock every `intervalMs` while it is still ours; calls `onLost`
 * once when the file names another run (taken over) or is gone. Returns the
 * function that stops it.
 */
export function heartbeatLock(
  lockPath: string,
  holder: LockHolder,
  onLost: () => void,
  intervalMs = LOCK_HEARTBEAT_MS,
): () => void {
  let lost = false;
  const timer = setInterval(() => {
    void (async () => {
      const text = await readTextNoFollow(lockPath).catch(() => null);
      if (lost) return;
      if (text === null || !text.includes(holder.runId)) {
        lost = true;
        clearInterval(timer);
        onLost();
        return;
      }
      const t = new Date();
      await utimes(lockPath, t, t).catch(() => undefined);
    })();
  }, intervalMs);
  timer.unref?.();
  return () => clearInterval(timer);
}

/** Removes the lock if it is still `holder`'s. */
export async function releaseLockFile(lockPath: string, holder: LockHolder): Promise<void> {
  heldLocks.delete(lockPath);
  const still = (await readTextNoFollow(lockPath).catch(() => null)) ?? '';
  if (still.includes(holder.runId)) await unlink(lockPath).catch(() => undefined);
}

/** Whether this process holds the lock at `lockPath`. */
export function holdsLockFile(lockPath: string): boolean {
  return heldLocks.has(lockPath);
}

/** Forgets a lock this process took but could not use (the open failed). */
export function forgetLockFile(lockPath: string): void {
  heldLocks.delete(lockPath);
}

/** A lock this process holds until it releases it (see `holdLockFile`). */
export interface HeldLockFile {
  holder: LockHolder;
  release(): Promise<void>;
}

/**
 * Holds the lock at `lockPath` for this process, as a runner holds its
 * sprint's: taken with `takeLockFile` (a dead holder's lock on this host, or
 * another host's without a heartbeat for a minute, is taken over), kept fresh
 * by the heartbeat, and `onLost` called once if it is taken over all the same
 * (this process stalled past the stale time). Throws `SprintLockedError`
 * (naming `what`, with the live holder) while another live process holds it.
 */
export async function holdLockFile(
  what: string,
  lockPath: string,
  onLost: () => void,
  host = hostname(),
): Promise<HeldLockFile> {
  const holder: LockHolder = {
    pid: process.pid,
    host,
    runId: randomUUID(),
    startedAt: new Date().toISOString(),
    pidStart: processStartTime(process.pid),
  };
  await takeLockFile(what, lockPath, holder, host);
  const stop = heartbeatLock(lockPath, holder, onLost);
  return {
    holder,
    release: async () => {
      stop();
      await releaseLockFile(lockPath, holder);
    },
  };
}
