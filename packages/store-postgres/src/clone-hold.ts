import { mkdir, realpath } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type HeldLockFile, holdLockFile, type LockHolder, SprintError } from '@sprint/core';

/** Another live worker holds the clone: two in one clone would remove each other's worktrees. */
export class CloneHeldError extends SprintError {
  readonly dir: string;
  readonly holder: LockHolder | undefined;
  constructor(dir: string, holder?: LockHolder) {
    super(
      'CLONE_HELD',
      `The clone ${dir} is held by another live worker${holder ? ` (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt})` : ''}: two workers in one clone would remove each other's worktrees. Give this worker another --clone-dir, or stop that worker first.`,
    );
    this.dir = dir;
    this.holder = holder;
  }
}

/**
 * The lock of a worker's clone: `<dir>.lock` beside it, so that it can be
 * taken before the clone exists (two workers must not both clone into it).
 * The folder it is in is named by its real path, so two spellings of one
 * folder (a relative path, a link) are one lock.
 */
async function cloneLockPath(dir: string): Promise<string> {
  await mkdir(dirname(dir), { recursive: true });
  return join(await realpath(dirname(dir)), `${basename(dir)}.lock`);
}

/**
 * Holds a worker's clone for as long as the worker lives, with core's lock
 * (the runner's): a worker killed with -9 leaves a lock that the next worker
 * on this host takes over at once (its pid is dead), and one on another host
 * (a shared file system) once it has had no heartbeat for a minute. Throws
 * `CloneHeldError` while a live worker holds it. `onLost` is called if the
 * lock was taken over all the same (this worker stalled past the stale time).
 */
export async function holdClone(dir: string, onLost: () => void): Promise<HeldLockFile> {
  const lockPath = await cloneLockPath(dir);
  try {
    return await holdLockFile(`clone ${dir}`, lockPath, onLost);
  } catch (error) {
    if ((error as { code?: string }).code === 'SPRINT_LOCKED')
      throw new CloneHeldError(dir, (error as { holder?: LockHolder }).holder);
    throw error;
  }
}
