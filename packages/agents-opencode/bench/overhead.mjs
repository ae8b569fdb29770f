// How much time OpencodeAgent adds to a run of the opencode CLI, against a fake
// OpenAI-compatible chat API answering at once (see @sprint/test-kit's benchAgentOverhead).
// Target: the agent within 5 % of the CLI spawned from a shell.
//
//   pnpm --filter @sprint/agents-opencode build && pnpm --filter @sprint/agents-opencode bench
//   BENCH_RUNS=10 node bench/overhead.mjs
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

await benchAgentOverhead({
  cli: 'opencode CLI',
  api: 'fake OpenAI-compatible chat API',
  wrapper: 'OpencodeAgent',
  fake,
  setup: (home) => {
    const env = opencodeTestEnv({ baseUrl: fake.baseUrl, home });
    const agent = new OpencodeAgent({ binary, inheritEnv: false, env });
    return { agent, argv: [binary, ...opencodeArgs(agent.options)], env };
  },
  reporting: 'final-json',
  resultMarker: '"type":"step_finish"',
});
