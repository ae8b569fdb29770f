import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';

/**
 * Gives the calling test file a state home of its own (keys, log records, the
 * overview cache) for all its tests, and puts the previous one back after them.
 * Returns the path, known once the file's tests start. (Tests only; not built.)
 */
export function ownStateHome(): () => string {
  let home: string | undefined;
  const previous = process.env.SPRINT_STATE_HOME;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'sprint-state-home-'));
    process.env.SPRINT_STATE_HOME = home;
  });
  afterAll(async () => {
    if (previous === undefined) delete process.env.SPRINT_STATE_HOME;
    else process.env.SPRINT_STATE_HOME = previous;
    if (home) await rm(home, { recursive: true, force: true });
  });
  return () => home!;
}
