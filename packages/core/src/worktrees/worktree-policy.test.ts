import { describe, expect, it } from 'vitest';
import { failedResult } from '../model/agent-result.js';
import {
  type CommitDiff,
  checkoutBlockers,
  commitOutcome,
  conflictHunks,
  conflictOutcome,
  conflictResult,
  decideIsolation,
  describeConflict,
  fitsDiskBudget,
  type IsolationSetting,
  parseCommitDiff,
  parseMergeTree,
  parseSize,
  refComponent,
  sparesWanted,
  taskBranch,
} from './worktree-policy.js';

describe('decideIsolation', () => {
  const table: [IsolationSetting, number, boolean, boolean, string][] = [
    ['auto', 1, true, true, 'shared'],
    ['auto', 4, true, true, 'worktree'],
    ['auto', 4, false, true, 'shared'],
    ['auto', 4, true, false, 'shared'],
    ['worktree', 1, true, true, 'worktree'],
    ['worktree', 1, true, false, 'worktree'],
    ['worktree', 4, false, true, 'error'],
    ['shared', 4, true, true, 'shared'],
  ];
  it.each(table)(
    '%s at concurrency %i (git %s, in a project %s) -> %s',
    (setting, concurrency, inGit, inProject, mode) => {
      expect(decideIsolation({ setting, concurrency, inGit, inProject }).mode).toBe(mode);
    },
  );
  it('says how to fix worktree outside git', () => {
    expect(decideIsolation({ setting: 'worktree', concurrency: 1, inGit: false }).why).toMatch(
      /git init.*set isolation to shared/,
    );
  });
});

describe('names', () => {
  it.each([
    ['a', 'a'],
    ['fix..it', 'fix.it'],
    ['.hidden', 'hidden'],
    ['x.lock', 'x'],
    ['sp ace/é', 'sp-ace-'],
  ])('refComponent(%j) = %j', (input, out) => expect(refComponent(input)).toBe(out));
  it('names a branch after sprint, task and attempt, apart from any sprint/<id> target', () => {
    expect(taskBranch('2026-12-02_auth', 'implement-issue-42', 2)).toBe(
      'sprint-task/2026-12-02_auth/implement-issue-42-2',
    );
  });
});

describe('checkoutBlockers', () => {
  it.each([
    [['a.txt', 'b.txt'], [], []],
    [['a.txt', 'b.txt'], ['b.txt'], ['b.txt']],
    [['dir/new.txt'], ['dir/'], ['dir/new.txt']],
    [['a.txt'], ['c.txt', 'dir/'], []],
  ])('changed %j, dirty %j -> %j', (changed, dirty, blockers) => {
    expect(checkoutBlockers(changed, dirty)).toEqual(blockers);
  });
});

describe('conflictOutcome', () => {
  it.each([
    [0, 'retry'],
    [1, 'needs-human'],
    [3, 'needs-human'],
  ])('after %i conflicts -> %s', (before, next) => expect(conflictOutcome(before)).toBe(next));
});

describe('conflictResult', () => {
  const input = {
    taskId: 't1',
    result: { ...failedResult('failed', ''), success: true, summary: 'done', costUsd: 0.5 },
    description: 'shared.txt changed meanwhile',
    kept: 'its work is on branch b',
  };
  it('fails the first conflict as a conflict, keeping the cost, with no question', () => {
    const r = conflictResult({ ...input, conflictsBefore: 0 });
    expect(r).toMatchObject({ success: false, costUsd: 0.5, error: { kind: 'conflict' } });
    expect(r.needsHuman).toBeUndefined();
  });
  it('asks a person at the second, saying where the work waits', () => {
    const r = conflictResult({ ...input, conflictsBefore: 1 });
    expect(r.needsHuman?.reason).toBe(
      't1 conflicted with integrated work twice; its work is on branch b',
    );
    expect(r.needsHuman?.details).toBe('shared.txt changed meanwhile');
  });
});

describe('merge-tree output and conflicts', () => {
  it('reads the tree, the conflicted files and the messages', () => {
    const out =
      'abc123\nsrc/a.ts\nsrc/a.ts\nb.md\n\nAuto-merging src/a.ts\nCONFLICT (content): Merge conflict in src/a.ts\n';
    expect(parseMergeTree(out, false)).toEqual({
      tree: 'abc123',
      conflicted: ['src/a.ts', 'b.md'],
      messages: ['Auto-merging src/a.ts', 'CONFLICT (content): Merge conflict in src/a.ts'],
    });
    expect(parseMergeTree('abc123\n', true)).toEqual({
      tree: 'abc123',
      conflicted: [],
      messages: [],
    });
  });
  it('finds the hunks with both sides, and describes them for the next attempt', () => {
    const text = 'one\n<<<<<<< head\ntwo by A\n=======\ntwo by B\n>>>>>>> task\nthree\n';
    const hunks = conflictHunks(text);
    // Line 2 of the integrated version (what the branch holds), not of the marked-up text.
    expect(hunks).toEqual([{ startLine: 2, endLine: 2, ours: 'two by A', theirs: 'two by B' }]);
    const words = describeConflict({
      head: '0123456789abcdef',
      files: [{ path: 'x.txt', hunks, changedBy: ['task a'] }],
    });
    expect(words).toContain('x.txt (changed meanwhile by task a)');
    expect(words).toContain('line 2: integrated version');
    expect(words).toContain('0123456789ab');
  });

  it('numbers each hunk by the integrated version: earlier markers and the task side do not count', () => {
    const text = [
      'a',
      '<<<<<<< head',
      'b1',
      'b2',
      '||||||| base',
      'b0',
      '=======',
      'x1',
      'x2',
      'x3',
      '>>>>>>> task',
      'c',
      '<<<<<<< head',
      '=======',
      'added by the task',
      '>>>>>>> task',
      'd',
    ].join('\n');
    const hunks = conflictHunks(text);
    expect(hunks.map((h) => [h.startLine, h.endLine])).toEqual([
      [2, 3],
      [5, 4],
    ]);
    const words = describeConflict({
      head: 'f'.repeat(40),
      files: [{ path: 'y', hunks, changedBy: [] }],
    });
    expect(words).toContain('lines 2-3: integrated version');
    expect(words).toContain('after line 4: integrated version');
  });
});

describe('a task commit', () => {
  it('reads the ids and the changes of diff-tree on one commit', () => {
    expect(parseCommitDiff('c1 t1 p1\nM\0a b.txt\0D\0gone\0A\0new\0')).toEqual({
      commit: 'c1',
      tree: 't1',
      parents: ['p1'],
      changed: [
        { status: 'M', path: 'a b.txt' },
        { status: 'D', path: 'gone' },
        { status: 'A', path: 'new' },
      ],
    });
    // --always on a commit that changes nothing (or a merge): the ids alone, no newline.
    expect(parseCommitDiff('c1 t1 p1 p2')).toEqual({
      commit: 'c1',
      tree: 't1',
      parents: ['p1', 'p2'],
      changed: [],
    });
  });

  const head = (commit: string, ...parents: string[]): CommitDiff => ({
    commit,
    tree: 't',
    parents,
    changed: [],
  });
  it.each([
    ['its one commit on the base', 0, '', head('c', 'base'), 'committed'],
    ['on a commit the agent made', 0, '', head('c', 'agent'), 'fold'],
    ['a merge the agent left under way', 0, '', head('c', 'base', 'other'), 'fold'],
    ['nothing to commit', 1, 'nothing to commit (use -u)', head('base', 'x'), 'unchanged'],
    ['nothing added', 1, 'nothing added to commit but untracked', head('base', 'x'), 'unchanged'],
    ['nothing new, but the agent committed', 1, 'nothing to commit', head('a', 'base'), 'fold'],
    ['exit 1 saying something else', 1, 'unforeseen', head('base', 'x'), 'fold'],
    ['a fatal error', 128, '', head('base', 'x'), 'fold'],
  ])('git commit: %s', (_what, code, stdout, h, outcome) => {
    expect(commitOutcome({ code, stdout, base: 'base', head: h })).toBe(outcome);
  });
});

describe('spare worktrees', () => {
  it.each([
    // working, returning, waiting to start: spares wanted
    [4, 0, 8, 4], // the first wave: one for each slot's next task
    [4, 1, 7, 3], // one committed: its worktree comes back for a later task
    [4, 4, 4, 0], // a wave waits for the queue: those come back for the next wave
    [4, 0, 2, 2], // only two tasks left to start
    [1, 0, 1, 1],
    [2, 0, 0, 0], // nothing waits
    [1, 3, 5, 0],
  ])('%i working, %i returning, %i waiting: %i', (working, returning, waiting, wanted) => {
    expect(sparesWanted({ working, returning, waiting })).toBe(wanted);
  });
});

describe('disk budget', () => {
  it.each([
    ['10GB', 10 * 1024 ** 3],
    ['500MB', 500 * 1024 ** 2],
    ['2g', 2 * 1024 ** 3],
    ['1.5 GiB', 1.5 * 1024 ** 3],
    [4096, 4096],
    ['lots', undefined],
    ['0', undefined],
  ])('parseSize(%j) = %j', (text, bytes) => expect(parseSize(text)).toBe(bytes));
  it.each([
    [0, 100, 100, true],
    [100, 100, 150, false],
    [200, 100, 300, true],
    [5000, 100, 1000, false],
  ])('%i bytes used + %i bytes more within %i: %s', (usedBytes, nextBytes, maxBytes, fits) => {
    expect(fitsDiskBudget({ usedBytes, nextBytes, maxBytes })).toBe(fits);
  });
});
