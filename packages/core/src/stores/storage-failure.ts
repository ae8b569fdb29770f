import { dirname } from 'node:path';

/** Why the sprint's files could not be written, as a person can act on it. */
export interface StorageFailure {
  /** The system's error code: EACCES, EPERM, EROFS, ENOSPC or EDQUOT. */
  errno: 'EACCES' | 'EPERM' | 'EROFS' | 'ENOSPC' | 'EDQUOT';
  /** The file or folder the system refused, when it said. */
  path?: string;
  /** One line: what went wrong, naming the path. */
  message: string;
  /** What to do about it. */
  fix: string;
}

const FAILURES: Record<StorageFailure['errno'], { what: string; fix: string }> = {
  EACCES: {
    what: 'permission denied',
    fix: "make the sprint's folder writable for the user this runs as (chmod u+w), or run as its owner",
  },
  EPERM: {
    what: 'operation not permitted',
    fix: "make the sprint's folder writable for the user this runs as (chmod u+w), or run as its owner",
  },
  EROFS: {
    what: 'the file system is read-only',
    fix: 'copy the project to a writable place, or remount the file system read-write',
  },
  ENOSPC: {
    what: 'no space left on the device',
    fix: 'free some disk space, then try again (the sprint resumes where it was)',
  },
  EDQUOT: {
    what: 'the disk quota is used up',
    fix: 'free some space within the quota, then try again',
  },
};

/**
 * What a file-system error thrown while reading or writing a sprint means, or
 * undefined when it is not one of the storage failures a person can fix
 * (permissions, a read-only file system, a full disk or quota).
 */
export function storageFailure(error: unknown): StorageFailure | undefined {
  const e = error as { code?: unknown; path?: unknown } | null;
  const errno = typeof e?.code === 'string' ? e.code : undefined;
  if (!errno || !(errno in FAILURES)) return undefined;
  const { what, fix } = FAILURES[errno as StorageFailure['errno']];
  const raw = typeof e?.path === 'string' ? e.path : undefined;
  // A temporary file's name (`runner.lock.new-<uuid>`) means nothing to a person: name its folder.
  const path = raw && /\.(?:new|tmp|stale|claim)-[^/]*$/.test(raw) ? dirname(raw) : raw;
  return {
    errno: errno as StorageFailure['errno'],
    ...(path ? { path } : {}),
    message: path
      ? `cannot use ${path}: ${what} (${errno})`
      : `cannot use the sprint's files: ${what} (${errno})`,
    fix,
  };
}
