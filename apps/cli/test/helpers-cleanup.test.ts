import { describe, expect, it } from 'vitest';
import { processesWith, shellSprint, startCli, tempDir, waitUntil } from './helpers.js';

// The harness's own promise: a test that ends with a run still going (a failed test does)
// leaves neither the CLI nor its agent behind for the next test, or for hours on a shared machine.
describe('the test harness', () => {
  const marker = `harness-left-${process.pid}-${Date.now()}`;

  it('leaves a run going at the end of a test (as a failed test would)', async () => {
    const cwd = tempDir();
    const dir = shellSprint(cwd, 'left', [
      { id: 'a', command: `echo started-a; exec tail -f /dev/null ${marker}` },
    ]);
    const run = startCli(['run', dir], { cwd });
    await run.waitForOutput('started-a');
    expect(processesWith(marker).length).toBeGreaterThan(0);
  });

  it('has ended that run and its agent before the next test starts', async () => {
    await waitUntil(() => processesWith(marker).length === 0, 10_000, 'the agent to be gone');
    expect(processesWith(marker)).toEqual([]);
  });
});
