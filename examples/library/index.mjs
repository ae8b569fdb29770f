// The README's library example. Run it: ./dev --filter @sprint/example-library start
// It runs with the noop agent; set SPRINT_EXAMPLE_CLAUDE=1 (and have `claude`
// logged in) to hand the docs task to Claude Code instead.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClaudeCodeAgent } from '@sprint/agents-claude';
import {
  AgentRegistry,
  defaultHooks,
  NoopAgent,
  SprintDirectoryStore,
  SprintRunner,
} from '@sprint/core';

const root = process.env.SPRINT_EXAMPLE_ROOT ?? (await mkdtemp(join(tmpdir(), 'sprint-library-')));
const store = new SprintDirectoryStore({ root });
const id = await store.create({
  name: 'library-demo',
  tasks: [
    {
      id: 'docs',
      type: 'update-docs',
      priority: 'high',
      dependsOn: [],
      fields: { 'doc-path': 'README.md', changes: 'Usage' },
    },
    { id: 'chore', type: 'chore', priority: 'low', dependsOn: ['docs'], fields: {} },
  ],
});

const agents = new AgentRegistry({ default: new NoopAgent() });
if (process.env.SPRINT_EXAMPLE_CLAUDE === '1') {
  agents.register('update-docs', new ClaudeCodeAgent({ maxTurns: 30 }));
}
const runner = new SprintRunner({ store, agents, hooks: defaultHooks() });

const result = await runner.run(id, {
  maxIterations: 20,
  maxCostUsd: 5,
  onProgress: (p) => {
    if (p.kind === 'task-finished')
      console.log(`${p.task.id}: ${p.next} (${p.counts.done}/${p.counts.total})`);
  },
});
console.log(result.status, result.stopReason, `in ${join(root, id)}`);
process.exitCode = result.success ? 0 : 1;
