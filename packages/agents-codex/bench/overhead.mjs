// How much time CodexAgent adds to a run of the codex CLI, against a fake Responses API
// answering at once (see @sprint/test-kit's benchAgentOverhead).
// Target: the agent within 5 % of the CLI spawned from a shell.
//
//   pnpm --filter @sprint/agents-codex build && pnpm --filter @sprint/agents-codex bench
//   BENCH_RUNS=10 node bench/overhead.mjs
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

await benchAgentOverhead({
  cli: 'codex CLI',
  api: 'fake Responses API',
  wrapper: 'CodexAgent',
  fake,
  setup: (home) => {
    const env = codexTestEnv({ baseUrl: fake.baseUrl, home });
    const agent = new CodexAgent({ binary, inheritEnv: false, env });
    const schemaFile = join(home, 'schema.json');
    writeFileSync(schemaFile, JSON.stringify(CODEX_RESULT_JSON_SCHEMA));
    return { agent, argv: [binary, ...codexArgs(agent.options, { schemaFile })], env };
  },
  reporting: 'schema-message',
  resultMarker: '"agent_message"',
  note: 'CodexAgent also writes the result schema to a fresh temporary directory per run; the shell run reuses one file.',
});
