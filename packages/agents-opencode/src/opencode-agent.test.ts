import { cliContractCase, finalJsonScript, runAgentContract } from '@sprint/core/testing';
import { findAgentBin, opencodeTestEnv, startFakeOpenAIChat } from '@sprint/test-kit';
import { OpencodeAgent } from './opencode-agent.js';

const OPENCODE = findAgentBin('opencode', import.meta.dirname, 'opencode-ai');

runAgentContract('OpencodeAgent (real opencode CLI, fake OpenAI-compatible chat API)', {
  // The CLI takes 5-100 s to start on a busy 2-core machine.
  timeoutMs: 300_000,
  // Independent cases (own fake, HOME and project each): the suite waits for
  // its slowest case, not the sum of the CLI's start-ups and limits.
  concurrent: true,
  make: cliContractCase({
    cli: 'opencode',
    binary: OPENCODE,
    startFake: (scenario) => startFakeOpenAIChat(finalJsonScript(scenario)),
    agent: ({ binary, home, fake, idleTimeoutMs }) =>
      new OpencodeAgent({
        binary,
        inheritEnv: false,
        env: opencodeTestEnv({ baseUrl: fake.baseUrl, home }),
        idleTimeoutMs,
        killGraceMs: 1000,
      }),
  }),
});
