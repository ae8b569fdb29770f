import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeStalePackedRefsLock } from './stale-ref-lock.js';

let project: string;
beforeEach(async () => {
  project = await mkdtemp(join(tmpdir(), 'sprint-ref-lock-'));
  execFileSync('git', ['init', '-q'], { cwd: project });
});
afterEach(() => rm(project, { recursive: true, force: true }));

const lockThere = () =>
  stat(join(project, '.git', 'packed-refs.lock')).then(
    () => true,
    () => false,
  );

describe('a packed-refs.lock after a crash', () => {
  it('is removed when no git works in the repository', async () => {
    await writeFile(join(project, '.git', 'packed-refs.lock'), '');
    expect(await removeStalePackedRefsLock(join(project, '.git'), [project])).toBe(true);
    expect(await lockThere()).toBe(false);
  });

  it('stays while a live git works in the repository (it may hold it)', async () => {
    await writeFile(join(project, '.git', 'packed-refs.lock'), '');
    // A real git that lives until its stdin closes, its cwd in the repository.
    const live = spawn('git', ['hash-object', '--stdin'], { cwd: project, stdio: 'pipe' });
    try {
      await new Promise((resolve) => live.once('spawn', resolve));
      expect(await removeStalePackedRefsLock(join(project, '.git'), [project])).toBe(false);
      expect(await lockThere()).toBe(true);
    } finally {
      live.stdin.end();
      await new Promise((resolve) => live.once('close', resolve));
    }
    expect(await removeStalePackedRefsLock(join(project, '.git'), [project])).toBe(true);
  });
});
