import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers.js';
import { markedProcesses } from '../process/process-tree.js';
import { runCliProcess } from './cli-process.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('a CLI that exits cleanly', () => {
  it.skipIf(process.platform !== 'linux')(
    'leaves nothing it started: not in its group, not in a session of its own, not a process forked long after it (skipped off Linux: no /proc)',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sprint-cli-end-'));
      dirs.push(dir);
      const marker = `cli-end-test/${process.pid}/${Date.now()}`;
      // Between the CLI's start and its exit, other processes fork (a shell per
      // command): the ones it leaves behind have the newest PIDs of all.
      const script = [
        'cat > /dev/null',
        'for i in 1 2 3 4 5; do /bin/true; done',
        // Each waits until it is ended (tail -f never returns), then would write its file.
        "setsid sh -c 'tail -f /dev/null; echo late > marked.txt' &",
        "sh -c 'tail -f /dev/null; echo late > group.txt' &",
        'echo ready',
      ].join('\n');
      let pid: number | undefined;
      const end = await runCliProcess({
        binary: '/bin/sh',
        args: ['-c', script],
        cwd: dir,
        env: process.env,
        stdin: 'the prompt',
        timeoutMs: 60_000,
        idleTimeoutMs: 60_000,
        killGraceMs: 500,
        signal: new AbortController().signal,
        onLine: () => undefined,
        onStart: (p) => {
          pid = p;
        },
        marker,
      });
      expect(end.endedBy).toBe('exit');
      expect(end.exitCode).toBe(0);
      expect(pid).toBeGreaterThan(0);
      await waitFor(() => markedProcesses(marker).length === 0, 30_000);
      expect(existsSync(join(dir, 'group.txt'))).toBe(false);
      expect(existsSync(join(dir, 'marked.txt'))).toBe(false);
    },
  );
});
