// How much time OpencodeAgent adds to a run of the opencode CLI.
//
// Both sides run the real CLI against a fake OpenAI-compatible chat API that answers at once
// with a completed report: (a) through OpencodeAgent.run(), from the call to the
// result; (b) the same binary with the same arguments, environment and prompt
// (on stdin), spawned from a shell, from the spawn to the process's end. Runs
// alternate; medians are compared. Target: the agent within 5 % of the shell.
//
//   pnpm --filter @sprint/agents-opencode build && pnpm --filter @sprint/agents-opencode bench
//   BENCH_RUNS=10 node bench/overhead.mjs
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SprintConfigSchema, TaskSchema } from '@sprint/core';
import { buildTaskPrompt } from '@sprint/core/agent-kit';
import {
  benchAgentOverhead,
  findAgentBin,
  opencodeTestEnv,
  startFakeOpenAIChat,
} from '@sprint/test-kit';
import { OpencodeAgent, opencodeArgs } from '../dist/index.js';

const binary = findAgentBin('opencode', import.meta.dirname, 'opencode-ai');
const report = { status: 'completed', summary: 'ok', deferred_items: [], files_changed: [] };
const fake = await startFakeOpenAIChat(() => ({ type: 'text', text: JSON.stringify(report) }));
const home = await mkdtemp(join(tmpdir(), 'bench-opencode-home-'));
const project = await mkdtemp(join(tmpdir(), 'bench-opencode-project-'));
const env = opencodeTestEnv({ baseUrl: fake.baseUrl, home });
const agent = new OpencodeAgent({ binary, inheritEnv: false, env });
const ctx = {
  task: TaskSchema.parse({ id: 'bench', type: 'custom', description: 'Answer at once.' }),
  sprint: { id: 'bench', name: 'Bench', goals: [], config: SprintConfigSchema.parse({}) },
  projectDir: project,
  stateFiles: [],
  attempt: 1,
  context: {},
  previousResults: [],
  signal: new AbortController().signal,
  emit: () => {},
  setPid: () => {},
};
const promptFile = join(home, 'prompt.md');
await writeFile(promptFile, buildTaskPrompt(ctx, 'final-json'));

try {
  await benchAgentOverhead({
    cli: 'opencode CLI',
    api: 'fake OpenAI-compatible chat API',
    wrapper: 'OpencodeAgent',
    argv: [binary, ...opencodeArgs(agent.options)],
    env,
    cwd: project,
    promptFile,
    resultMarker: '"type":"step_finish"',
    runAgent: async () => {
      const result = await agent.run(ctx);
      if (!result.success) throw new Error(`agent run failed: ${result.error?.message}`);
    },
    runs: Number(process.env.BENCH_RUNS ?? 5),
  });
} finally {
  await fake.close();
  await rm(home, { recursive: true, force: true });
  await rm(project, { recursive: true, force: true });
}
