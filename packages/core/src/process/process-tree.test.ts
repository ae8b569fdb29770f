import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../../test/helpers.js';
import { markedProcesses } from './process-tree.js';
import { runCommand } from './run-command.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('ending a command', { timeout: 60_000 }, () => {
  it.skipIf(process.platform !== 'linux')(
    'a stopped command runs nothing after the step it was in: not in its group, not in a marked process of its own session (skipped off Linux: no /proc to find marked processes)',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sprint-end-'));
      dirs.push(dir);
      const marker = `end-test/${process.pid}/${Date.now()}`;
      const abort = new AbortController();
      // The shell and, in a session of its own, another: each would write its file
      // once its `sleep` ended, which is what signalling one process at a time,
      // children first, let them do.
      const running = runCommand(
        "setsid sh -c 'sleep 20; echo late > marked.txt' & sleep 20; echo late > group.txt",
        { cwd: dir, signal: abort.signal, marker, graceMs: 500 },
      );
      // Both shells and both sleeps carry the marker.
      await waitFor(() => markedProcesses(marker).length === 4, 30_000);
      abort.abort();
      const result = await running;
      expect(result.endedBy).toBe('cancel');
      await waitFor(() => markedProcesses(marker).length === 0, 30_000);
      expect(existsSync(join(dir, 'group.txt'))).toBe(false);
      expect(existsSync(join(dir, 'marked.txt'))).toBe(false);
    },
  );
});
