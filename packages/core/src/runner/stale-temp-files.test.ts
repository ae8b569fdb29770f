import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeStaleTempFiles } from './stale-temp-files.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sprint-tmpfiles-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('removeStaleTempFiles', () => {
  it("removes a dead writer's temporary copies of the runner's files and nothing else", async () => {
    const names = [
      'PROGRESS.yaml.tmp-111-abcd', // dead writer: goes
      'state.json.tmp-111-00ff', // dead writer: goes
      'PROGRESS.yaml.tmp-222-abcd', // live writer: stays
      'notes.md.tmp-111-abcd', // not a runner file: stays
      'PROGRESS.yaml.tmp-backup', // not an atomic write's copy: stays
      'PROGRESS.yaml',
    ];
    for (const n of names) await writeFile(join(dir, n), 'x');
    const removed = await removeStaleTempFiles(
      [join(dir, 'PROGRESS.yaml'), join(dir, 'state.json')],
      (pid) => pid === 222,
    );
    expect(removed.sort()).toEqual(
      [join(dir, 'PROGRESS.yaml.tmp-111-abcd'), join(dir, 'state.json.tmp-111-00ff')].sort(),
    );
    expect((await readdir(dir)).sort()).toEqual(
      [
        'PROGRESS.yaml',
        'PROGRESS.yaml.tmp-222-abcd',
        'PROGRESS.yaml.tmp-backup',
        'notes.md.tmp-111-abcd',
      ].sort(),
    );
  });
});
