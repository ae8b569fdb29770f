import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentsWorking, gitText, inBackground } from './git.js';

let repo: string;
beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), 'sprint-git-lane-'));
  execFileSync('git', ['init', '-q'], { cwd: repo });
});
afterAll(() => rm(repo, { recursive: true, force: true }));

/** The niceness a git command runs at: a shell alias runs `nice`, which prints it. */
const niceness = () => gitText(repo, ['-c', 'alias.niceness=!nice', 'niceness']).then(Number);

describe('git work in the background', () => {
  it('runs at niceness +10 while an agent works, also in what it awaits; other git work runs at ours', async () => {
    const ours = getPriority();
    const lower = Math.min(19, ours + 10);
    const run = {};
    agentsWorking(run, 1);
    try {
      expect(await niceness()).toBe(ours);
      expect(
        await inBackground(async () => {
          const first = await niceness();
          await new Promise((resolve) => setTimeout(resolve, 1));
          return [first, await niceness()];
        }),
      ).toEqual([lower, lower]);
      expect(await niceness()).toBe(ours);
    } finally {
      agentsWorking(run, 0);
    }
  });

  it('runs at our own niceness when no agent works: then it is what the run waits for', async () => {
    expect(await inBackground(niceness)).toBe(getPriority());
  });
});
