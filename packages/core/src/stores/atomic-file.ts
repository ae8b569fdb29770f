import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { lstat, open, rename, unlink } from 'node:fs/promises';

/**
 * Replaces a file so that a reader (or a crash at any moment) sees either the
 * old bytes or the new, never a mix: write a sibling temp file, fsync it,
 * rename it over the target (a symbolic link there is replaced, not
 * followed). Keeps the target's mode. `data` may come in pieces, written one
 * after the other (a large text is then never joined in memory).
 *
 * Returns the new file's stats as written, taken before the rename: a stat
 * after it could already see someone else's write and take it for ours.
 */
export async function atomicWriteFile(
  path: string,
  data: string | Uint8Array | string[],
): Promise<Stats> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  // lstat: a link at the target is replaced by the rename, never followed (not even for its mode).
  const mode = await lstat(path).then(
    (s) => (s.isFile() ? s.mode & 0o7777 : 0o644),
    () => 0o644,
  );
  const handle = await open(tmp, 'wx', mode);
  let written: Stats;
  try {
    // Each writeFile on the handle continues where the previous one ended.
    for (const part of Array.isArray(data) ? data : [data]) await handle.writeFile(part);
    await handle.sync();
    written = await handle.stat();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw error;
  } finally {
    await handle.close().catch(() => undefined);
  }
  try {
    await rename(tmp, path);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  return written;
}
