import { type AgentScenario, cliContractCase, runAgentContract } from '@sprint/core/testing';
import { claudeTestEnv, type FakeReply, findClaudeBin, startFakeAnthropic } from '@sprint/test-kit';
import { ClaudeCodeAgent } from './claude-code-agent.js';

const CLAUDE = findClaudeBin(import.meta.dirname);

const report = (status: string, summary: string, extra: Record<string, unknown> = {}) => ({
  status,
  summary,
  deferred_items: [],
  files_changed: [],
  ...extra,
});

function scriptFor(scenario: AgentScenario): FakeReply[] {
  switch (scenario.kind) {
    case 'write-file':
      return [
        {
          type: 'tool-use',
          name: 'Bash',
          input: { command: `printf '%s\\n' '${scenario.content}' > ${scenario.file}` },
        },
        { type: 'structured-output', output: report('completed', `Wrote ${scenario.file}.`) },
      ];
    case 'fail':
      return [{ type: 'structured-output', output: report('failed', scenario.summary) }];
    case 'needs-human':
      return [
        {
          type: 'structured-output',
          output: report('needs-human', 'I need a decision.', {
            human_needed: { reason: scenario.question, options: ['postgres', 'sqlite'] },
          }),
        },
      ];
    case 'invalid-output':
      return [{ type: 'text', text: 'All done, I think.' }];
    case 'hang':
      return [
        { type: 'tool-use', name: 'Bash', input: { command: `touch ${scenario.file}; sleep 600` } },
      ];
    case 'silent':
    case 'binary-missing':
      return [{ type: 'hang' }];
  }
}

runAgentContract('ClaudeCodeAgent (real claude CLI, fake Messages API)', {
  make: cliContractCase({
    cli: 'claude',
    binary: CLAUDE,
    startFake: (scenario) => startFakeAnthropic(scriptFor(scenario)),
    agent: ({ binary, home, fake, idleTimeoutMs }) =>
      new ClaudeCodeAgent({
        binary,
        inheritEnv: false,
        env: claudeTestEnv({ baseUrl: fake.url, home }),
        idleTimeoutMs,
        killGraceMs: 1000,
      }),
  }),
});
