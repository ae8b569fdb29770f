import { readdir, readFile, readlink, realpath, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';

/**
 * Without /proc to ask, a lock this old is nobody's: git holds packed-refs.lock
 * only while it rewrites one file, and gives up waiting for it after a second.
 */
const NO_PROC_STALE_MS = 60_000;

/**
 * After a crash: removes the repository's `packed-refs.lock` that a git
 * killed inside `update-ref -d` or `branch -D` left, which would otherwise
 * fail every later ref deletion. Only when no live git process works in the
 * repository (its cwd in one of `dirs`: the checkout, the common git directory,
 * the sprint's worktrees), so a lock a running git holds, ours or the user's,
 * stays. Returns whether it removed one.
 */
export async function removeStalePackedRefsLock(
  commonDir: string,
  dirs: readonly string[],
): Promise<boolean> {
  const lock = join(commonDir, 'packed-refs.lock');
  const st = await stat(lock).catch(() => undefined);
  if (!st) return false;
  const live = await liveGitIn([commonDir, ...dirs]);
  if (live === undefined ? Date.now() - st.mtimeMs < NO_PROC_STALE_MS : live) return false;
  await rm(lock, { force: true });
  return true;
}

/** Whether a live git process has its cwd in one of `dirs`; undefined without /proc. */
async function liveGitIn(dirs: readonly string[]): Promise<boolean | undefined> {
  const entries = await readdir('/proc').catch(() => undefined);
  if (!entries) return undefined;
  const roots = await Promise.all(dirs.map((d) => realpath(d).catch(() => d)));
  const found = await Promise.all(
    entries.map(async (entry) => {
      if (!/^\d+$/.test(entry)) return false;
      const [stat, cwd] = await Promise.all([
        readFile(`/proc/${entry}/stat`, 'utf8').catch(() => ''),
        readlink(`/proc/${entry}/cwd`).catch(() => ''),
      ]);
      // "pid (comm) state ...": a zombie holds no lock.
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      if (comm !== 'git' || stat[close + 2] === 'Z' || !cwd) return false;
      return roots.some((root) => {
        const rel = relative(root, cwd);
        return !rel.startsWith('..') && !isAbsolute(rel);
      });
    }),
  );
  return found.some(Boolean);
}
