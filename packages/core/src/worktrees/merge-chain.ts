import type { GitOutput, GitStep } from './git.js';
import { type ChangedPath, parseMergeTree, parseNameStatus } from './worktree-policy.js';

/** One task's commit to integrate: the commit, the base it was made on, its message. */
export interface ChainItem {
  commit: string;
  parent: string;
  message: string;
}

/**
 * The git steps (one round trip) that put task commits one after the other
 * onto `head`, as the merge queue integrates them: each is merged (`git
 * merge-tree`, in git's object store) onto the one before it and committed
 * there with its own message, except a first one made on `head` itself,
 * which is taken as it is (a fast-forward); then, when `diff` is asked,
 * what the last changes against `head`. The steps stop at the first
 * conflict. `at` is the index of the first step in its round trip.
 */
export function chainSteps(
  head: string,
  items: readonly ChainItem[],
  options: { diff: boolean; at: number },
): GitStep[] {
  const steps: GitStep[] = [];
  let prev: GitStep['args'][number] = head;
  items.forEach((item, i) => {
    if (i === 0 && item.parent === head) {
      prev = item.commit;
      return;
    }
    const merged = options.at + steps.length;
    steps.push(
      { args: ['merge-tree', '--write-tree', '--name-only', '--messages', prev, item.commit] },
      { args: ['commit-tree', { stdoutOf: merged }, '-p', prev, '-F', '-'], input: item.message },
    );
    prev = { stdoutOf: merged + 1 };
  });
  if (options.diff && prev !== head) steps.push({ args: [...NAME_STATUS, head, prev] });
  return steps;
}

/** What running `chainSteps` came to. */
export type ChainResult =
  | {
      kind: 'merged';
      /** Each item's commit on the target, in order, and the tree of the last. */
      commits: string[];
      tree: string | undefined;
      changed: ChangedPath[];
    }
  /** Item `index` conflicts with what comes before it; the merge-tree report of it. */
  | { kind: 'conflict'; index: number; tree: string; conflicted: string[] };

/** Reads the outputs of `chainSteps` (from its first step on); throws where git failed otherwise. */
export function readChain(
  head: string,
  items: readonly ChainItem[],
  outs: readonly GitOutput[],
): ChainResult {
  const commits: string[] = [];
  let tree: string | undefined;
  let o = 0;
  for (const [i, item] of items.entries()) {
    if (i === 0 && item.parent === head) {
      commits.push(item.commit);
      continue;
    }
    const merged = outs[o++];
    if (!merged || merged.code > 1)
      throw new Error(`git merge-tree failed: ${merged?.stderr.trim() ?? 'no output'}`);
    const parsed = parseMergeTree(merged.stdout, merged.code === 0);
    if (merged.code === 1) return { kind: 'conflict', index: i, ...parsed };
    const made = outs[o++];
    if (made?.code !== 0) throw new Error(`git commit-tree failed: ${made?.stderr.trim()}`);
    commits.push(made.stdout.trim());
    tree = parsed.tree;
  }
  const diff = outs[o];
  if (diff && diff.code !== 0) throw new Error(`git diff-tree failed: ${diff.stderr.trim()}`);
  return { kind: 'merged', commits, tree, changed: parseNameStatus(diff?.stdout ?? '') };
}

/** `git diff-tree` of two commits as path and status (A, M, D...), without renames. */
const NAME_STATUS = ['diff-tree', '-r', '-z', '--name-status', '--no-renames'];
