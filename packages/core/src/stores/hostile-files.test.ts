import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SprintDirectoryStore } from './sprint-directory-store.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sprint-hostile-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function sprintWith(progress: string | Buffer): Promise<string> {
  const dir = join(root, 's');
  await mkdir(dir);
  await writeFile(join(dir, 'SPRINT.yaml'), 'name: s\n');
  await writeFile(join(dir, 'PROGRESS.yaml'), progress);
  return dir;
}

describe('hostile sprint files', () => {
  it('refuses invalid UTF-8 with the file and the line, and leaves the bytes alone', async () => {
    const bytes = Buffer.concat([
      Buffer.from('status: not-started\nqueue:\n  - id: a\n    type: chore\n    title: caf'),
      Buffer.from([0xe9, 0x0a]),
    ]);
    const dir = await sprintWith(bytes);
    const error = await new SprintDirectoryStore({ root }).load('s').catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'INVALID_SPRINT',
      issues: [{ file: join(dir, 'PROGRESS.yaml'), line: 5 }],
    });
    expect(await readFile(join(dir, 'PROGRESS.yaml'))).toEqual(bytes);
  });

  it.each([
    ['flow', `status: not-started\nqueue: ${'['.repeat(3000)}${']'.repeat(3000)}\n`],
    [
      'block',
      `status: not-started\nqueue:\n${Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i * 2)}- x:`).join('\n')}\n`,
    ],
  ])(
    'refuses 3,000-deep %s nesting with the file and a line (no stack overflow)',
    async (_k, text) => {
      await sprintWith(text);
      const error = await new SprintDirectoryStore({ root }).load('s').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'INVALID_SPRINT' });
      const issue = (error as { issues: { file: string; line?: number }[] }).issues[0]!;
      expect(issue.file).toContain('PROGRESS.yaml');
      expect(issue.line).toBeGreaterThan(1);
    },
  );

  it('says PROGRESS.yaml is not a file when it is a folder', async () => {
    const dir = join(root, 's');
    await mkdir(join(dir, 'PROGRESS.yaml'), { recursive: true });
    await writeFile(join(dir, 'SPRINT.yaml'), 'name: s\n');
    await expect(new SprintDirectoryStore({ root }).load('s')).rejects.toMatchObject({
      code: 'INVALID_SPRINT',
      message: expect.stringContaining('PROGRESS.yaml is not a regular file'),
    });
  });
});

describe('listing', () => {
  it('shows a sprint it cannot read as invalid, with the reason', async () => {
    await sprintWith('status: [unclosed\n');
    const list = await new SprintDirectoryStore({ root }).list();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: 's', invalid: expect.stringContaining('PROGRESS.yaml') });
  });
});
