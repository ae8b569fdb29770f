import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Task } from '../model/sprint.js';
import { runStoreContract } from '../testing/store-contract.js';
import { MemoryStore } from './memory-store.js';
import { SprintDirectoryStore } from './sprint-directory-store.js';
import { SprintDocumentStore } from './sprint-document-store.js';

async function tempRoot(): Promise<{ root: string; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'sprint-store-'));
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

runStoreContract('MemoryStore', {
  make: async () => ({ store: new MemoryStore() }),
});

runStoreContract('SprintDirectoryStore', {
  make: async () => {
    const { root, cleanup } = await tempRoot();
    return {
      store: new SprintDirectoryStore({ root }),
      reopen: () => new SprintDirectoryStore({ root }),
      cleanup,
    };
  },
});

/** A Markdown sprint document with one Phase whose steps are `tasks`. */
function documentFor(tasks: Task[]): string {
  const steps = tasks.map((t) => {
    const deps = t.dependsOn.length ? `; depends-on: ${t.dependsOn.join(', ')}` : '';
    return `- [ ] ${t.title ?? t.id} <!-- id: ${t.id}${deps} -->`;
  });
  return [
    '---',
    'sprint: 1',
    'title: "Contract sprint"',
    'status: todo',
    'created: 2026-01-01T00:00:00Z',
    'started: null',
    'completed: null',
    'hours: null',
    '---',
    '',
    '# Sprint 01: Contract sprint',
    '',
    '## Goal',
    '',
    'pass',
    '',
    '## Tasks',
    '',
    '### Phase 1: Custom Step',
    ...steps,
    '',
    '## Deferred Items',
    '',
  ].join('\n');
}

runStoreContract('SprintDocumentStore', {
  addsTasks: false,
  make: async () => {
    const { root, cleanup } = await tempRoot();
    return {
      store: new SprintDocumentStore({ root }),
      seed: async (tasks) => {
        await writeFile(join(root, 'sprint-01_contract.md'), documentFor(tasks));
        return 'sprint-01_contract';
      },
      reopen: () => new SprintDocumentStore({ root }),
      cleanup,
    };
  },
});
