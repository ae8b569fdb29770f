// How much time ClaudeCodeAgent adds to a run of the claude CLI, against a fake Anthropic
// API answering at once with a structured result (see @sprint/test-kit's benchAgentOverhead).
// Target: the agent within 5 % of the CLI spawned from a shell.
//
//   pnpm --filter @sprint/agents-claude build && pnpm --filter @sprint/agents-claude bench
//   BENCH_RUNS=30 node bench/overhead.mjs
import {
  benchAgentOverhead,
  claudeTestEnv,
  findClaudeBin,
  startFakeAnthropic,
} from '@sprint/test-kit';
import { ClaudeCodeAgent, claudeArgs } from '../dist/index.js';

const binary = findClaudeBin(import.meta.dirname);
const fake = await startFakeAnthropic(() => ({
  type: 'structured-output',
  output: { status: 'completed', summary: 'ok', deferred_items: [], files_changed: [] },
}));

await benchAgentOverhead({
  cli: 'claude CLI',
  api: 'fake Anthropic API',
  wrapper: 'ClaudeCodeAgent',
  fake,
  setup: (home) => {
    const env = claudeTestEnv({ baseUrl: fake.url, home });
    const agent = new ClaudeCodeAgent({ binary, inheritEnv: false, env });
    const args = claudeArgs(agent.options, { isRoot: process.getuid?.() === 0 });
    return { agent, argv: [binary, ...args], env };
  },
  resultMarker: '"structured_output"',
  note: 'ClaudeCodeAgent also passes a fresh --session-id to each run; the shell run has none.',
});
