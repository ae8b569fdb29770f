// How much time CodexAgent adds to a run of the codex CLI.
//
// Both sides run the real CLI against a fake Responses API that answers at once
// with a completed result: (a) through CodexAgent.run(), from the call to the
// result; (b) the same binary with the same arguments and prompt, spawned from a
// shell, from the spawn to the process's end. Runs alternate; medians are
// compared. Target: the agent within 5 % of the shell.
//
//   pnpm --filter @sprint/agents-codex build && pnpm --filter @sprint/agents-codex bench
//   BENCH_RUNS=10 node bench/overhead.mjs
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SprintConfigSchema, TaskSchema } from '@sprint/core';
import { buildTaskPrompt } from '@sprint/core/agent-kit';
import {
  benchAgentOverhead,
  codexTestEnv,
  findAgentBin,
  startFakeOpenAIResponses,
} from '@sprint/test-kit';
import { CODEX_RESULT_JSON_SCHEMA, CodexAgent, codexArgs } from '../dist/index.js';

const binary = findAgentBin('codex', import.meta.dirname, '@openai/codex');
const report = {
  status: 'completed',
  summary: 'ok',
  deferred_items: [],
  files_changed: [],
  human_needed: null,
};
const fake = await startFakeOpenAIResponses(() => ({
  type: 'message',
  text: JSON.stringify(report),
}));
const home = await mkdtemp(join(tmpdir(), 'bench-codex-home-'));
const project = await mkdtemp(join(tmpdir(), 'bench-codex-project-'));
const env = codexTestEnv({ baseUrl: fake.baseUrl, home });
const agent = new CodexAgent({ binary, inheritEnv: false, env });
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
const schemaFile = join(home, 'schema.json');
await writeFile(schemaFile, JSON.stringify(CODEX_RESULT_JSON_SCHEMA));
const promptFile = join(home, 'prompt.md');
await writeFile(promptFile, buildTaskPrompt(ctx, 'schema-message'));
try {
  await benchAgentOverhead({
    cli: 'codex CLI',
    api: 'fake Responses API',
    wrapper: 'CodexAgent',
    argv: [binary, ...codexArgs(agent.options, { schemaFile })],
    env,
    cwd: project,
    promptFile,
    resultMarker: '"agent_message"',
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
