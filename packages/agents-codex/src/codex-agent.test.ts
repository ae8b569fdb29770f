import { type AgentScenario, cliContractCase, runAgentContract } from '@sprint/core/testing';
import {
  codexTestEnv,
  findAgentBin,
  type ResponsesReply,
  startFakeOpenAIResponses,
} from '@sprint/test-kit';
import { CodexAgent } from './codex-agent.js';

const CODEX = findAgentBin('codex', import.meta.dirname, '@openai/codex');

const report = (status: string, summary: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    status,
    summary,
    deferred_items: [],
    files_changed: [],
    human_needed: null,
    ...extra,
  });

/** The fake provider's script for each case of the contract. */
function scriptFor(scenario: AgentScenario): ResponsesReply[] {
  switch (scenario.kind) {
    case 'write-file':
      return [
        { type: 'shell', command: `printf '%s\\n' '${scenario.content}' > ${scenario.file}` },
        {
          type: 'message',
          text: report('completed', `Wrote ${scenario.file}.`, { files_changed: [scenario.file] }),
        },
      ];
    case 'fail':
      return [{ type: 'message', text: report('failed', scenario.summary) }];
    case 'needs-human':
      return [
        {
          type: 'message',
          text: report('needs-human', 'I need a decision.', {
            human_needed: {
              reason: scenario.question,
              details: null,
              options: ['postgres', 'sqlite'],
            },
          }),
        },
      ];
    case 'invalid-output':
      return [{ type: 'message', text: 'All done, I think.' }];
    case 'hang':
      return [{ type: 'shell', command: `touch ${scenario.file}; sleep 600` }];
    case 'silent':
    case 'binary-missing':
      return [{ type: 'hang' }];
  }
}

runAgentContract('CodexAgent (real codex CLI, fake Responses API)', {
  make: cliContractCase({
    cli: 'codex',
    binary: CODEX,
    startFake: (scenario) => startFakeOpenAIResponses(scriptFor(scenario)),
    agent: ({ binary, home, fake, idleTimeoutMs }) =>
      new CodexAgent({
        binary,
        inheritEnv: false,
        env: codexTestEnv({ baseUrl: fake.baseUrl, home }),
        idleTimeoutMs,
        killGraceMs: 1000,
      }),
  }),
});
