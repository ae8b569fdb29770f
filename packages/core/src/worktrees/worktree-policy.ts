/**
 * The decisions of task isolation, as pure functions: which mode a run uses,
 * what names a task's branch gets, whether an integration may touch the
 * user's checkout, what a conflict leads to. The classes around them
 * (`WorktreeManager`, `MergeQueue`) only carry them out.
 */

import type { AgentResult } from '../model/agent-result.js';

/** `auto` isolates when more than one task may run at once in a git project. */
export type IsolationSetting = 'auto' | 'worktree' | 'shared';

export type IsolationDecision =
  | { mode: 'worktree' | 'shared'; why: string }
  | { mode: 'error'; why: string };

/** Which mode a run uses, from the setting, the concurrency and whether the project is in git. */
export function decideIsolation(input: {
  setting: IsolationSetting;
  concurrency: number;
  inGit: boolean;
  /** Whether the sprint is kept in files in a project (not only in memory, as in tests). */
  inProject?: boolean;
}): IsolationDecision {
  const { setting, concurrency, inGit } = input;
  if (setting === 'shared') return { mode: 'shared', why: 'isolation: shared' };
  if (setting === 'worktree') {
    return inGit
      ? { mode: 'worktree', why: 'isolation: worktree' }
      : {
          mode: 'error',
          why: 'isolation: worktree needs a git repository, and the project is not in one (fix: run `git init` and commit, or set isolation to shared)',
        };
  }
  if (!inGit) return { mode: 'shared', why: 'the project is not a git repository' };
  if (input.inProject === false) return { mode: 'shared', why: 'the sprint is kept in memory' };
  if (concurrency <= 1) return { mode: 'shared', why: 'one task at a time' };
  return { mode: 'worktree', why: `up to ${concurrency} tasks at once in a git project` };
}

/** A git ref component from free text: only characters git accepts, never `..` or a leading dot. */
export function refComponent(text: string): string {
  const cleaned = text
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[.-]+/, '')
    .replace(/(\.lock|\.)+$/i, '');
  return cleaned || 'x';
}

/** The branch prefix every branch of a sprint shares (and `sprint clean` removes). */
export function sprintBranchPrefix(sprintId: string): string {
  return `sprint-task/${refComponent(sprintId)}/`;
}

/** One attempt's branch: `sprint-task/<sprint>/<task>-<attempt>`. */
export function taskBranch(sprintId: string, taskId: string, attempt: number): string {
  return `${sprintBranchPrefix(sprintId)}${refComponent(taskId)}-${attempt}`;
}

/** The trailer that marks a commit as a task's integrated work, to integrate nothing twice. */
export function taskTrailer(sprintId: string, taskId: string): string {
  return `Sprint-Task: ${sprintId}/${taskId}`;
}

/**
 * The paths an integration would change in a checkout that the user has
 * modified (or created, untracked): when any exist, the integration waits.
 */
export function checkoutBlockers(changed: readonly string[], dirty: readonly string[]): string[] {
  const mine = new Set(dirty);
  // A dirty directory entry (an untracked folder) blocks every path beneath it.
  const dirs = dirty.filter((d) => d.endsWith('/'));
  return changed.filter((p) => mine.has(p) || dirs.some((d) => p.startsWith(d)));
}

/** What a conflict leads to: the first gets a fresh attempt on the new head, the second a person. */
export function conflictOutcome(conflictsBefore: number): 'retry' | 'needs-human' {
  return conflictsBefore === 0 ? 'retry' : 'needs-human';
}

/**
 * The result of an attempt whose work conflicted with work integrated
 * meanwhile: a failure of kind `conflict` (retried on the new head,
 * uncounted) the first time, a question for a person the second. `kept`
 * says where the task's work waits for them. Local worktree runs and
 * workers (`sprint worker --repo`) decide it the same way.
 */
export function conflictResult(input: {
  taskId: string;
  conflictsBefore: number;
  result: AgentResult;
  description: string;
  kept: string;
}): AgentResult {
  const error = { kind: 'conflict' as const, message: input.description };
  const failed = { ...input.result, success: false, summary: input.description, error };
  if (conflictOutcome(input.conflictsBefore) === 'retry') return failed;
  return {
    ...failed,
    needsHuman: {
      reason: `${input.taskId} conflicted with integrated work twice; ${input.kept}`,
      details: input.description,
      options: ['resolve it by hand and resume', 'resume to try once more on the newest head'],
    },
  };
}

/** What `git merge-tree --write-tree --name-only` printed. */
export interface MergeTreeResult {
  tree: string;
  conflicted: string[];
  messages: string[];
}

/** Parses `git merge-tree --write-tree --name-only` output (git >= 2.38). */
export function parseMergeTree(stdout: string, clean: boolean): MergeTreeResult {
  const lines = stdout.split('\n');
  const tree = (lines[0] ?? '').trim();
  const conflicted: string[] = [];
  let i = 1;
  if (!clean) {
    for (; i < lines.length && lines[i] !== ''; i++) conflicted.push(lines[i]!);
  }
  const messages = lines
    .slice(i + 1)
    .map((l) => l.trim())
    .filter(Boolean);
  return { tree, conflicted: [...new Set(conflicted)], messages };
}

/** A path a commit changes, and how (git's A, M, D, T...; renames are not detected). */
export interface ChangedPath {
  status: string;
  path: string;
}

/** Parses `git diff-tree -r -z --name-status --no-renames` output: status and path, NUL-separated. */
export function parseNameStatus(out: string): ChangedPath[] {
  const parts = out.split('\0').filter(Boolean);
  const changed: ChangedPath[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2)
    changed.push({ status: parts[i]!, path: parts[i + 1]! });
  return changed;
}

/** `git diff-tree` of one commit against its first parent, with the commit's ids (`COMMIT_DIFF`). */
export interface CommitDiff {
  commit: string;
  tree: string;
  parents: string[];
  changed: ChangedPath[];
}

/** Arguments that make `git diff-tree <commit>` print what `parseCommitDiff` reads. */
export const COMMIT_DIFF = [
  'diff-tree',
  '-r',
  '-z',
  '--no-renames',
  '--name-status',
  '--always',
  '--pretty=format:%H %T %P',
];

/** Parses `git diff-tree` run with `COMMIT_DIFF`: a line of ids, then the changes. */
export function parseCommitDiff(out: string): CommitDiff {
  const nl = out.indexOf('\n');
  const [commit = '', tree = '', ...parents] = (nl < 0 ? out : out.slice(0, nl))
    .trim()
    .split(' ')
    .filter(Boolean);
  return { commit, tree, parents, changed: nl < 0 ? [] : parseNameStatus(out.slice(nl + 1)) };
}

/**
 * What a `git commit` of a task's work in its worktree came to, from its exit
 * code, what it printed and the commit HEAD names after it: the task's one
 * commit on the worktree's base; nothing to commit; or work that must still
 * be folded into one commit on the base (the agent committed or moved the
 * branch itself, or git ended in a way not foreseen here).
 */
export function commitOutcome(input: {
  code: number;
  stdout: string;
  base: string;
  head: CommitDiff;
}): 'committed' | 'unchanged' | 'fold' {
  const { code, head, base } = input;
  if (code === 0 && head.parents.length === 1 && head.parents[0] === base) return 'committed';
  const nothing = /nothing (added )?to commit|no changes added to commit/.test(input.stdout);
  if (code === 1 && nothing && head.commit === base) return 'unchanged';
  return 'fold';
}

/**
 * How many spare worktrees to keep ready for the next attempts: one for each
 * attempt now working whose slot a waiting task takes when it commits (its
 * own worktree is reused only once its work is integrated, after that),
 * less the worktrees of attempts already committed and waiting for the
 * merge queue: those come back for the tasks after. None beyond the tasks
 * still waiting to start.
 */
export function sparesWanted(n: {
  /** Attempts working in their worktrees (not yet committed). */
  working: number;
  /** Attempts committed and waiting for integration. */
  returning: number;
  /** Tasks that have not started in this run. */
  waiting: number;
}): number {
  return Math.max(0, Math.min(n.working, n.waiting) - n.returning);
}

/** One conflicted region of a file: its lines in the merged text and both sides. */
export interface ConflictHunk {
  /**
   * Where the hunk is in the integrated version of the file (the branch's, as the next
   * attempt finds it), not in the marked-up text: lines `startLine`-`endLine`, or, when
   * that side has none, the place after line `startLine - 1`.
   */
  startLine: number;
  endLine: number;
  ours: string;
  theirs: string;
}

/** The conflict-marker regions of a file as merge-tree wrote it. */
export function conflictHunks(text: string, maxHunks = 5): ConflictHunk[] {
  const lines = text.split('\n');
  const hunks: ConflictHunk[] = [];
  // Lines of the integrated version before the current one: markers and the task's side do not count.
  let integrated = 0;
  for (let i = 0; i < lines.length && hunks.length < maxHunks; i++) {
    if (!lines[i]!.startsWith('<<<<<<< ')) {
      integrated++;
      continue;
    }
    const ours: string[] = [];
    const theirs: string[] = [];
    let side: 'ours' | 'base' | 'theirs' = 'ours';
    for (i++; i < lines.length && !lines[i]!.startsWith('>>>>>>> '); i++) {
      const line = lines[i]!;
      if (line.startsWith('||||||| ')) side = 'base';
      else if (line === '=======') side = 'theirs';
      else if (side === 'ours') ours.push(line);
      else if (side === 'theirs') theirs.push(line);
    }
    hunks.push({
      startLine: integrated + 1,
      endLine: integrated + ours.length,
      ours: ours.join('\n'),
      theirs: theirs.join('\n'),
    });
    integrated += ours.length;
  }
  return hunks;
}

/** A conflict as the next attempt's prompt and a person read it. */
export interface ConflictReport {
  files: { path: string; hunks: ConflictHunk[]; changedBy: string[] }[];
  head: string;
}

/** Where a hunk is in the integrated version of its file. */
function where(h: ConflictHunk): string {
  if (h.endLine < h.startLine) return `after line ${h.startLine - 1}`;
  return h.endLine === h.startLine ? `line ${h.startLine}` : `lines ${h.startLine}-${h.endLine}`;
}

/** The conflict in words: files, hunks (both sides), and the tasks that changed them meanwhile. */
export function describeConflict(report: ConflictReport): string {
  const out = [
    `Your changes conflict with work integrated meanwhile (the branch is now at ${report.head.slice(0, 12)}). Redo the task on the current code; keep the other work.`,
  ];
  for (const f of report.files) {
    const by = f.changedBy.length ? ` (changed meanwhile by ${f.changedBy.join(', ')})` : '';
    out.push(`- ${f.path}${by}`);
    for (const h of f.hunks) {
      out.push(
        `  ${where(h)}: integrated version:\n${indent(h.ours)}\n  your version:\n${indent(h.theirs)}`,
      );
    }
  }
  return out.join('\n');
}

function indent(text: string): string {
  return (text ? text.split('\n') : ['(nothing)'])
    .slice(0, 20)
    .map((l) => `    ${l}`)
    .join('\n');
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
};

/** `500MB`, `10GB`, `2g` or a number of bytes, as bytes; undefined when it is not a size. */
export function parseSize(text: string | number): number | undefined {
  if (typeof text === 'number') return text > 0 && Number.isFinite(text) ? text : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = SIZE_UNITS[m[2]!.toLowerCase().replace('i', '')];
  if (unit === undefined) return undefined;
  const n = Number(m[1]) * unit;
  return n > 0 ? Math.round(n) : undefined;
}

/** Bytes as a short human size: `1.5 GB`. */
export function formatSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return `${n >= 10 || u === 0 ? Math.round(n) : n.toFixed(1)} ${units[u]}`;
}

/** The default disk budget for a sprint's worktrees. */
export const DEFAULT_MAX_DISK_BYTES = 10 * 1024 ** 3;

/**
 * Whether one more worktree fits the budget: what the sprint's worktrees
 * use now (measured on disk) plus what a fresh one takes.
 */
export function fitsDiskBudget(input: {
  usedBytes: number;
  nextBytes: number;
  maxBytes: number;
}): boolean {
  return input.usedBytes + input.nextBytes <= input.maxBytes;
}
