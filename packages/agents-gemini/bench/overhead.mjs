// How much time GeminiAgent adds to a run of the gemini CLI.
//
// Both sides run the real CLI against a fake Gemini API that answers at once
// with a completed report: (a) through GeminiAgent.run(), from the call to the
// result; (b) the same binary with the same arguments, environment and prompt
// (on stdin), spawned from a shell, from the spawn to the process's end. Runs
// alternate; medians are compared. Target: the agent within 5 % of the shell.
//
//   pnpm --filter @sprint/agents-gemini build && pnpm --filter @sprint/agents-gemini bench
//   BENCH_RUNS=10 node bench/overhead.mjs
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SprintConfigSchema, TaskSchema } from '@sprint/core';
import { buildTaskPrompt } from '@sprint/core/agent-kit';
import { benchAgentOverhead, findAgentBin, geminiTestEnv, startFakeGemini } from '@sprint/test-kit';
import { GeminiAgent, geminiArgs } from '../dist/index.js';

const binary = findAgentBin('gemini', import.meta.dirname, '@google/gemini-cli');
const report = { status: 'completed', summary: 'ok', deferred_items: [], files_changed: [] };
const fake = await startFakeGemini(() => ({ type: 'text', text: JSON.stringify(report) }));
const home = await mkdtemp(join(tmpdir(), 'bench-gemini-home-'));
const project = await mkdtemp(join(tmpdir(), 'bench-gemini-project-'));
const env = geminiTestEnv({ baseUrl: fake.url, home });
const agent = new GeminiAgent({ binary, inheritEnv: false, env });
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
    cli: 'gemini CLI',
    api: 'fake Gemini API',
    wrapper: 'GeminiAgent',
    argv: [binary, ...geminiArgs(agent.options)],
    env,
    cwd: project,
    promptFile,
    resultMarker: '"type":"result"',
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
