import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importM42Sprint } from '../imports/m42-import.js';
import { retryTask } from '../runner/task-control.js';
import { MemoryStore } from '../stores/memory-store.js';
import { SprintDocumentStore } from '../stores/sprint-document-store.js';
import { storageFailure } from '../stores/storage-failure.js';
import { AgentNotInstalledError } from '../workspace/agent-doctor.js';
import { buildAgentRegistry } from '../workspace/agent-setup.js';
import { openSprint } from '../workspace/open-sprint.js';
import { decideIsolation } from '../worktrees/worktree-policy.js';
import { SprintFinishedError } from './errors.js';

/** Wording that only means something to a user of the `sprint` command. */
const CLI_WORDING =
  /\bsprint (?:init|run|resume|stop|skip|retry|add|import|pause)\b|(?:^|[\s(`])--[a-z]|\bcommand again\b|\brun sprint as\b/;

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sprint-neutral-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function messageOf(work: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof work === 'function' ? work() : work);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error');
}

describe("core's messages", () => {
  it('speak of the sprint and its fields, never of CLI commands or flags', async () => {
    const store = new MemoryStore();
    const id = await store.create({
      name: 's',
      tasks: [{ id: 'a', type: 'x', priority: 'medium', dependsOn: [], fields: {} }],
    });
    const m42 = join(import.meta.dirname, '../imports/fixtures/m42/2026-01-29_agent-monitor-panel');
    await mkdir(join(root, 'taken'));
    await mkdir(join(root, 'no-progress'));
    const messages = [
      new SprintFinishedError('s', 'completed').message,
      new AgentNotInstalledError([
        { agent: 'codex', binary: 'codex', install: 'npm i -g @openai/codex', binEnv: 'X' },
      ]).message,
      decideIsolation({ setting: 'worktree', concurrency: 1, inGit: false }).why,
      await messageOf(retryTask(store, id, 'a', { requestedBy: 'test' })),
      await messageOf(new SprintDocumentStore({ root }).create({ name: 'x' })),
      await messageOf(importM42Sprint(m42, join(root, 'taken'))),
      await messageOf(openSprint(join(root, 'no-progress'))),
      await messageOf(() =>
        buildAgentRegistry({
          config: { agents: {}, autoCommit: true },
          factories: {},
          override: 'gpt',
        }),
      ),
    ];
    for (const code of ['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT']) {
      const failure = storageFailure(Object.assign(new Error('refused'), { code, path: root }));
      messages.push(`${failure?.message}; ${failure?.fix}`);
    }
    for (const message of messages) {
      expect(message.length).toBeGreaterThan(10);
      expect(message).not.toMatch(CLI_WORDING);
    }
  });
});
