import { writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { toProblem } from './problem.js';

describe('storage failures as problems', () => {
  it('answers a full disk (a real ENOSPC from /dev/full) with 507, the reason and the fix, not a 500', async () => {
    const error = await writeFile('/dev/full', 'x').catch((e: unknown) => e);
    const body = toProblem(error);
    expect(body).toMatchObject({ status: 507, code: 'STORAGE_FAILED' });
    expect(body.detail).toContain('no space left on the device');
    expect(body.detail).toContain('free some disk space');
  });

  it('answers a refused permission with 503 without naming the server-side path', () => {
    const error = Object.assign(new Error('EACCES'), {
      code: 'EACCES',
      path: '/srv/sprints/secret/runner.lock',
    });
    const body = toProblem(error);
    expect(body).toMatchObject({ status: 503, code: 'STORAGE_FAILED' });
    expect(body.detail).not.toContain('/srv/sprints');
  });
});
