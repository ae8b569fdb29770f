// The runner's own overhead per task with the `noop` agent, for each store,
// at 100 and 1,000 tasks. Prints figures; asserts nothing (machines are noisy).
// Targets: < 0.2 ms/task in memory; < 5 ms/task in a sprint directory at 100
// tasks; per-task cost at 1,000 tasks at most 2x that at 100 (no quadratic work).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AgentRegistry,
  MemoryStore,
  NoopAgent,
  SprintDirectoryStore,
  SprintDocumentStore,
  SprintRunner,
} from '../dist/index.js';

const tasks = (n) =>
  Array.from({ length: n }, (_, i) => ({
    id: `t${i}`,
    type: 'x',
    priority: 'medium',
    dependsOn: [],
    fields: {},
  }));

const stores = {
  memory: async (n) => {
    const store = new MemoryStore({ sprints: [{ id: 's', name: 'bench', tasks: tasks(n) }] });
    return { store, id: 's', cleanup: async () => {} };
  },
  directory: async (n) => {
    const root = await mkdtemp(join(tmpdir(), 'sprint-bench-'));
    const store = new SprintDirectoryStore({ root });
    // The store writes `max-tasks: 10` (the original plugin's default) unless told otherwise.
    const id = await store.create({ name: 'bench', tasks: tasks(n), config: { 'max-tasks': n } });
    return { store, id, cleanup: () => rm(root, { recursive: true, force: true }) };
  },
  document: async (n) => {
    const root = await mkdtemp(join(tmpdir(), 'sprint-bench-'));
    const steps = Array.from({ length: n }, (_, i) => `- [ ] Step ${i} <!-- id: t${i} -->`).join(
      '\n',
    );
    await writeFile(
      join(root, 'bench.md'),
      `---\nsprint: 1\ntitle: bench\nstatus: todo\nstarted: null\ncompleted: null\nhours: null\n---\n\n# Bench\n\n## Tasks\n\n### Phase 1: Implementation\n${steps}\n\n## Deferred Items\n`,
    );
    return {
      store: new SprintDocumentStore({ root }),
      id: 'bench',
      cleanup: () => rm(root, { recursive: true, force: true }),
    };
  },
};

async function measure(kind, n) {
  const { store, id, cleanup } = await stores[kind](n);
  try {
    const runner = new SprintRunner({
      store,
      agents: new AgentRegistry({ default: new NoopAgent() }),
    });
    const t0 = performance.now();
    const result = await runner.run(id, { maxIterations: n });
    const ms = performance.now() - t0;
    if (result.status !== 'completed') throw new Error(`${kind}/${n}: ${result.status}`);
    return ms / n;
  } finally {
    await cleanup();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log('runner overhead per task, noop agent (median of 3 runs)');
console.log('store       100 tasks     1000 tasks    ratio');
for (const kind of Object.keys(stores)) {
  await measure(kind, 50); // warm up
  const small = median([
    await measure(kind, 100),
    await measure(kind, 100),
    await measure(kind, 100),
  ]);
  const large = median([
    await measure(kind, 1000),
    await measure(kind, 1000),
    await measure(kind, 1000),
  ]);
  console.log(
    `${kind.padEnd(10)} ${small.toFixed(3).padStart(8)} ms ${large.toFixed(3).padStart(10)} ms   ${(large / small).toFixed(2)}x`,
  );
}
console.log(
  'targets: memory < 0.2 ms; directory < 5 ms at 100; 1000-task cost <= 2x the 100-task cost',
);
