import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { basename } from 'node:path';
import { InvalidSprintError } from '../model/errors.js';

/**
 * File access for the runner's own files that never goes through a symbolic
 * link: a repository could ship `events.jsonl -> ~/.bashrc`, and then every
 * append would land in the user's shell start-up file. Reads and appends open
 * with O_NOFOLLOW; replacements rename a fresh file over the name (a rename
 * replaces a link, never follows it); folders are checked with lstat.
 */

/** Flags for appending to a log: read and append, create, never through a link. */
export const APPEND_NOFOLLOW =
  constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;

/** The error for a runner file or sprint folder that is a link (never its target's content). */
export function linkRefused(path: string): InvalidSprintError {
  return new InvalidSprintError([
    {
      file: path,
      message: `${basename(path)} is a symbolic link; sprint never reads or writes its files through a link`,
      fix: `replace the link with a real ${basename(path).includes('.') ? 'file' : 'folder'}`,
    },
  ]);
}

/** A file of the runner's that is not a regular file (a folder, a device). */
export function notAFile(path: string): InvalidSprintError {
  return new InvalidSprintError([
    {
      file: path,
      message: `${basename(path)} is not a regular file`,
      fix: `move ${basename(path)} away; the runner writes it again`,
    },
  ]);
}

/** Maps an open() failure on a link (ELOOP) or a folder (EISDIR) to a clear error. */
export function explainOpenError(path: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return linkRefused(path);
  if (code === 'EISDIR') return notAFile(path);
  return error;
}

/** A file opened for reading, never through a link; null when it does not exist. */
async function openNoFollow(path: string): Promise<Awaited<ReturnType<typeof open>> | null> {
  try {
    return await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw explainOpenError(path, error);
  }
}

/** The bytes of a regular file, never read through a link; null when it does not exist. */
export async function readFileNoFollow(path: string): Promise<Buffer | null> {
  const handle = await openNoFollow(path);
  if (!handle) return null;
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw notAFile(path);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * The SHA-256 (base64url) of a regular file's bytes, read in chunks so that a
 * large file is never held whole; never through a link; null when absent. For
 * UTF-8 text it equals `textHash` of the text.
 */
export async function hashFileNoFollow(path: string): Promise<string | null> {
  const handle = await openNoFollow(path);
  if (!handle) return null;
  try {
    if (!(await handle.stat()).isFile()) throw notAFile(path);
    const hash = createHash('sha256');
    const chunk = Buffer.allocUnsafe(256 * 1024);
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (!bytesRead) break;
      hash.update(chunk.subarray(0, bytesRead));
    }
    return hash.digest('base64url');
  } finally {
    await handle.close();
  }
}

/** The SHA-256 (base64url) of a text's UTF-8 bytes: a file's digest, to know it again after a copy. */
export function textHash(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('base64url');
}

/** `readFileNoFollow` as text. */
export async function readTextNoFollow(path: string): Promise<string | null> {
  const buf = await readFileNoFollow(path);
  return buf === null ? null : buf.toString('utf8');
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A file of the user's as text, refusing bytes that are not UTF-8 (rather than
 * turning them into U+FFFD and writing that back), with the line they are on.
 */
export async function readUtf8NoFollow(path: string): Promise<string | null> {
  const buf = await readFileNoFollow(path);
  return buf === null ? null : decodeUtf8(buf, path);
}

/**
 * `readUtf8NoFollow` with the digest of the bytes read (`textHash` of the
 * text), taken from the bytes: a large text is not encoded again to be hashed.
 */
export async function readUtf8HashedNoFollow(
  path: string,
): Promise<{ text: string; hash: string } | null> {
  const buf = await readFileNoFollow(path);
  return buf === null ? null : { text: decodeUtf8(buf, path), hash: textHash(buf) };
}

/** `buf` as UTF-8 text, or the error naming `path` and the line whose bytes are not UTF-8. */
export function decodeUtf8(buf: Buffer, path: string): string {
  try {
    return strictUtf8.decode(buf);
  } catch {
    let line = 1;
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      const end = nl < 0 ? buf.length : nl;
      try {
        strictUtf8.decode(buf.subarray(start, end));
      } catch {
        break;
      }
      if (nl < 0) break;
      start = nl + 1;
      line++;
    }
    throw new InvalidSprintError([
      {
        file: path,
        line,
        message: `${basename(path)} is not valid UTF-8 text`,
        fix: 'save the file as UTF-8 (the line holds bytes of another encoding)',
      },
    ]);
  }
}

/** lstat, or undefined when nothing is there. */
async function lstatOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Throws when `path` is a link; returns its lstat (undefined when absent). */
export async function refuseLink(path: string): Promise<Stats | undefined> {
  const st = await lstatOrUndefined(path);
  if (st?.isSymbolicLink()) throw linkRefused(path);
  return st;
}
