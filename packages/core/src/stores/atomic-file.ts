import { randomBytes } from 'node:crypto';
import { lstat, open, rename, unlink } from 'node:fs/promises';

/**
 * Replaces a file so that a reader (or a crash at any moment) sees either the
 * old bytes or the new, never a mix: write a sibling temp file, fsync it,
 * rename it over the target (a symbolic link there is replaced, not
 * followed). Keeps the target's mode. `data` may come in pieces, written one
 * after the other (a large text is then never joined in memory).
 */
export async function atomicWriteFile(
  path: string,
  data: string | Uint8Array | string[],
): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  // lstat: a link at the target is replaced by the rename, never followed (not even for its mode).
  const mode = await lstat(path).then(
    (s) => (s.isFile() ? s.mode & 0o7777 : 0o644),
    () => 0o644,
  );
  const handle = await open(tmp, 'wx', mode);
  try {
    // Each writeFile on the handle continues where the previous one ended.
    for (const part of Array.isArray(data) ? data : [data]) await handle.writeFile(part);
    await handle.sync();
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
}
