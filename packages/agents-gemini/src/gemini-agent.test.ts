import { cliContractCase, finalJsonScript, runAgentContract } from '@sprint/core/testing';
import { findAgentBin, geminiTestEnv, startFakeGemini } from '@sprint/test-kit';
import { GeminiAgent } from './gemini-agent.js';

const GEMINI = findAgentBin('gemini', import.meta.dirname, '@google/gemini-cli');

runAgentContract('GeminiAgent (real gemini CLI, fake Gemini API)', {
  // The CLI takes 5-30 s to start on a busy 2-core machine.
  timeoutMs: 180_000,
  // Independent cases (own fake, HOME and project each): the suite waits for
  // its slowest case, not the sum of the CLI's start-ups and limits.
  concurrent: true,
  make: cliContractCase({
    cli: 'gemini',
    binary: GEMINI,
    startFake: (scenario) => startFakeGemini(finalJsonScript(scenario)),
    agent: ({ binary, home, fake, idleTimeoutMs }) =>
      new GeminiAgent({
        binary,
        inheritEnv: false,
        env: geminiTestEnv({ baseUrl: fake.url, home }),
        idleTimeoutMs,
        killGraceMs: 1000,
      }),
  }),
});
