import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { looseBranchHead } from './git-files.js';

let project: string;
const git = (...args: string[]) =>
  execFileSync('git', args, { cwd: project, encoding: 'utf8' }).trim();

beforeEach(async () => {
  project = await mkdtemp(join(tmpdir(), 'sprint-git-files-'));
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Test User');
  git('config', 'user.email', 'user@example.com');
  await writeFile(join(project, 'a.txt'), 'a\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'initial');
});
afterEach(async () => {
  await rm(project, { recursive: true, force: true });
});

describe('a branch’s loose ref', () => {
  it('names the head git would, and nothing where git keeps the branch otherwise', async () => {
    const common = join(project, '.git');
    git('branch', 'feature/x');
    expect(await looseBranchHead(common, 'main')).toBe(git('rev-parse', 'main'));
    expect(await looseBranchHead(common, 'feature/x')).toBe(git('rev-parse', 'feature/x'));
    expect(await looseBranchHead(common, 'missing')).toBeUndefined();
    // Packed: only git can say (and a later commit writes a loose file that wins again).
    git('pack-refs', '--all');
    expect(await looseBranchHead(common, 'main')).toBeUndefined();
    git('commit', '-q', '--allow-empty', '-m', 'after packing');
    expect(await looseBranchHead(common, 'main')).toBe(git('rev-parse', 'main'));
    // A symbolic ref names a ref, not a commit.
    git('symbolic-ref', 'refs/heads/alias', 'refs/heads/main');
    expect(await looseBranchHead(common, 'alias')).toBeUndefined();
  });
});
