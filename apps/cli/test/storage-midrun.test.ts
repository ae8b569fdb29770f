import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, shellSprint, tempDir } from './helpers.js';

/**
 * A disk that fills up, or turns read-only, while a real `sprint run` is under
 * way: the run stops with 74 or 73, the runner's files stay readable, and a
 * resume on a healthy disk finishes the sprint. The file systems are real
 * (a small tmpfs; an ext4 image on a loop device, since a file system with a
 * file open for writing cannot be remounted read-only by hand: ext4's
 * errors=remount-ro is what turns a disk read-only under a running program).
 * Mounting needs root: CI runs as root; elsewhere these tests fail, saying so
 * (never a silent skip).
 */
const root = process.getuid?.() === 0;
const NEEDS_ROOT = '(needs root to mount file systems)';

const mounted: string[] = [];
afterEach(() => {
  for (const dir of mounted.splice(0).reverse()) {
    try {
      execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
    } catch {
      // Already unmounted by the test.
    }
  }
});

function assertRoot(): void {
  if (!root) throw new Error('this test mounts file systems and must run as root (CI does)');
}

/** The run's three files, read as a reader would: each must parse. */
function expectReadable(dir: string): void {
  const lines = readFileSync(join(dir, 'events.jsonl'), 'utf8').split('\n').filter(Boolean);
  for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
  expect(() => JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'))).not.toThrow();
  // The person's or the runner's, whole (validate then reads it in full).
  expect(readFileSync(join(dir, 'PROGRESS.yaml'), 'utf8')).toMatch(/^status: /m);
}

/** After the failure, on a healthy disk: nothing forged or torn, and a resume finishes. */
async function expectResumable(project: string, dir: string): Promise<void> {
  expectReadable(dir);
  const validate = await runCli(['validate', dir], { cwd: project });
  expect(validate.code, validate.stderr).toBe(0);
  const status = await runCli(['status', dir, '--json'], { cwd: project });
  expect(status.code, status.stderr).toBe(0);
  expect(JSON.parse(status.stdout).tampering).toBeUndefined();
  // The run stopped where the disk failed: the second task has not run.
  expect(JSON.parse(status.stdout).tasks[1]).toMatchObject({ id: 'after', status: 'pending' });
  const resume = await runCli(['resume', dir], { cwd: project, timeoutMs: 120_000 });
  expect(resume.code, resume.stderr).toBe(0);
  const done = JSON.parse((await runCli(['status', dir, '--json'], { cwd: project })).stdout);
  expect(done.status).toBe('completed');
  expect(done.tasks.map((t: { status: string }) => t.status)).toEqual(['done', 'done']);
  expectReadable(dir);
}

describe('a disk that fails in the middle of a run', () => {
  it(`a full disk stops the run with 74; a resume after space is freed finishes the sprint ${NEEDS_ROOT}`, async () => {
    assertRoot();
    const project = tempDir();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', project]);
    mounted.push(project);
    const sprints = join(project, '.claude', 'sprints');
    mkdirSync(sprints, { recursive: true });
    const filler = join(project, 'filler');
    const script = join(tempDir(), 'fill.sh');
    // The task fills the disk once (a rerun after the resume does not).
    writeFileSync(
      script,
      // Then it prints 40 long lines: the result the runner must record no longer fits.
      `[ -e ${script}.done ] || { : > ${script}.done; dd if=/dev/zero of=${filler} bs=16k 2>/dev/null; }\n` +
        'i=0; while [ $i -lt 40 ]; do printf "%0500d\\n" $i; i=$((i+1)); done\n',
    );
    const dir = shellSprint(sprints, 'full', [
      { id: 'fill', command: `sh ${script}` },
      { id: 'after', command: 'true', dependsOn: ['fill'] },
    ]);
    const run = await runCli(['run', dir], { cwd: project, timeoutMs: 120_000 });
    expect(run.code, run.stderr).toBe(74);
    expect(run.stderr).toMatch(/no space left on the device \(ENOSPC\)/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    rmSync(filler);
    await expectResumable(project, dir);
  });

  it(`a file system that turns read-only stops the run with 73; a resume once it is writable finishes the sprint ${NEEDS_ROOT}`, async () => {
    assertRoot();
    const work = tempDir();
    const image = join(work, 'disk.ext4');
    const project = join(work, 'project');
    mkdirSync(project);
    execFileSync('truncate', ['-s', '16M', image]);
    execFileSync('mkfs.ext4', ['-q', '-F', image]);
    const mount = () => {
      execFileSync('mount', ['-o', 'loop,errors=remount-ro', image, project]);
      mounted.push(project);
      return execFileSync('findmnt', ['-n', '-o', 'SOURCE', project], { encoding: 'utf8' })
        .trim()
        .replace('/dev/', '');
    };
    const device = mount();
    const sprints = join(project, '.claude', 'sprints');
    mkdirSync(sprints, { recursive: true });
    const script = join(work, 'break.sh');
    // The task makes the kernel find an error on the file system, which it then
    // remounts read-only (errors=remount-ro) under the running `sprint run`; once.
    writeFileSync(
      script,
      `[ -e ${script}.done ] || { : > ${script}.done; echo sprint-test > /sys/fs/ext4/${device}/trigger_fs_error; }; true\n`,
    );
    const dir = shellSprint(sprints, 'ro', [
      { id: 'break', command: `sh ${script}` },
      { id: 'after', command: 'true', dependsOn: ['break'] },
    ]);
    // On disk before the run, as a person's sprint files long are (an error discards unsynced data).
    execFileSync('sync');
    const run = await runCli(['run', dir], { cwd: project, timeoutMs: 120_000 });
    expect(run.code, run.stderr).toBe(73);
    expect(run.stderr).toMatch(/the file system is read-only \(EROFS\)/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
    // A healthy disk again: checked and mounted read-write.
    execFileSync('umount', [project]);
    mounted.pop();
    try {
      execFileSync('e2fsck', ['-f', '-y', image], { stdio: 'ignore' });
    } catch (error) {
      // 1: errors were corrected, which is the point.
      if ((error as { status?: number }).status !== 1) throw error;
    }
    mount();
    await expectResumable(project, dir);
  });
});
