// How much time GeminiAgent adds to a run of the gemini CLI, against a fake Gemini API
// answering at once (see @sprint/test-kit's benchAgentOverhead).
// Target: the agent within 5 % of the CLI spawned from a shell.
//
//   pnpm --filter @sprint/agents-gemini build && pnpm --filter @sprint/agents-gemini bench
//   BENCH_RUNS=10 node bench/overhead.mjs
import { benchAgentOverhead, findAgentBin, geminiTestEnv, startFakeGemini } from '@sprint/test-kit';
import { GeminiAgent, geminiArgs } from '../dist/index.js';

const binary = findAgentBin('gemini', import.meta.dirname, '@google/gemini-cli');
const report = { status: 'completed', summary: 'ok', deferred_items: [], files_changed: [] };
const fake = await startFakeGemini(() => ({ type: 'text', text: JSON.stringify(report) }));

await benchAgentOverhead({
  cli: 'gemini CLI',
  api: 'fake Gemini API',
  wrapper: 'GeminiAgent',
  fake,
  setup: (home) => {
    const env = geminiTestEnv({ baseUrl: fake.url, home });
    const agent = new GeminiAgent({ binary, inheritEnv: false, env });
    return { agent, argv: [binary, ...geminiArgs(agent.options)], env };
  },
  reporting: 'final-json',
  resultMarker: '"type":"result"',
});
