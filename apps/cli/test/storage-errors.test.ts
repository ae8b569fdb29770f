import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../src/report-error.js';
import { CLI, shellSprint, snapshotFiles, tempDir } from './helpers.js';

/**
 * Runs the CLI as a user who may not write the sprint's folder. As root
 * (permissions do not apply), the child runs as `nobody` through setpriv; as
 * anyone else, the folder is made read-only. Fails loudly when neither works.
 */
function runReadOnly(
  dir: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const root = process.getuid?.() === 0;
  let cmd = process.execPath;
  let argv = [CLI, ...args];
  if (root) {
    const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
    if (!setpriv)
      throw new Error('running as root without setpriv: cannot test a read-only sprint');
    cmd = setpriv;
    argv = ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...argv];
  } else {
    chmodSync(dir, 0o555);
  }
  return new Promise((resolve) => {
    execFile(
      cmd,
      argv,
      { cwd: dir, env: { ...process.env, NO_COLOR: '1', HOME: dir } },
      (error, stdout, stderr) => {
        const code = error ? Number((error as { code?: unknown }).code) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('a sprint the user may not write', () => {
  it('run and add exit 77 naming the folder and the fix, change nothing; status and validate still read it', async () => {
    const root = tempDir();
    const dir = shellSprint(join(root, '.claude', 'sprints'), 'ro', [{ id: 'a', command: 'true' }]);
    // Readable (and the folders passable) for anyone; writable only for the owner.
    execFileSync('chmod', ['-R', 'a+rX', root]);
    chmodSync(root, 0o755);
    const before = snapshotFiles(root);
    for (const args of [
      ['run', dir, '--agent', 'noop'],
      ['add', dir, 'custom', '--description', 'x', '--done-when', 'y'],
    ]) {
      const r = await runReadOnly(root, args);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(77);
      expect(r.stderr).toContain(`cannot use ${dir}: permission denied (EACCES)`);
      expect(r.stderr).toMatch(
        /^Fix: make the sprint's folder writable for the user this runs as/m,
      );
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
    for (const args of [
      ['status', dir],
      ['validate', dir],
    ]) {
      const r = await runReadOnly(root, args);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(0);
    }
    expect(snapshotFiles(root)).toEqual(before);
  });
});

describe('storage failures at the CLI boundary', () => {
  it('maps a full disk (a real ENOSPC from /dev/full) to 74', async () => {
    const error = await writeFile('/dev/full', 'x').catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('ENOSPC');
    expect(exitCodeFor(error)).toBe(74);
  });

  it('maps a read-only file system (EROFS) to 73 and a refused permission to 77', () => {
    const erofs = Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
    expect(exitCodeFor(erofs)).toBe(73);
    const eacces = Object.assign(new Error('EACCES'), { code: 'EACCES', path: '/x' });
    expect(exitCodeFor(eacces)).toBe(77);
  });
});
