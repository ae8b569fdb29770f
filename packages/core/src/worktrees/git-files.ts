import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/*
 * Git's own files, read where a git process would cost more than the answer
 * (a process costs milliseconds, a file read microseconds): where a linked
 * worktree's git directory is, whether an operation is under way in it, and
 * the commit a branch's loose ref names. Each answers "unknown" (undefined)
 * where git keeps the answer elsewhere, and the caller then asks git.
 */

/** The git directory of a linked worktree, from its `.git` file. */
export async function worktreeGitDir(path: string): Promise<string> {
  const text = await readFile(join(path, '.git'), 'utf8');
  const dir = /^gitdir: (.+)$/m.exec(text)?.[1]?.trim();
  if (!dir) throw new Error(`${join(path, '.git')} names no git directory`);
  return resolve(path, dir);
}

/** Whether a worktree's git directory shows an operation left unfinished (a lock, a rebase, a merge...). */
export async function unfinishedGitState(gitDir: string): Promise<boolean> {
  const markers = [
    'index.lock',
    'HEAD.lock',
    'rebase-merge',
    'rebase-apply',
    'MERGE_HEAD',
    'CHERRY_PICK_HEAD',
    'REVERT_HEAD',
    'BISECT_LOG',
  ];
  const found = await Promise.all(markers.map((m) => exists(join(gitDir, m))));
  return found.some(Boolean);
}

/**
 * The commit a branch's loose ref file names (`<common dir>/refs/heads/<branch>`),
 * or undefined when there is none to read: a packed ref, another ref store
 * (reftable), a symbolic ref. Git replaces the file atomically (a lock file
 * renamed over it), and a loose ref wins over a packed one, so what it says
 * is the branch's head at that moment.
 */
export async function looseBranchHead(
  commonDir: string,
  branch: string,
): Promise<string | undefined> {
  const text = await readFile(join(commonDir, 'refs', 'heads', ...branch.split('/')), 'utf8').catch(
    () => '',
  );
  const oid = text.trim();
  return /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(oid) ? oid : undefined;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
