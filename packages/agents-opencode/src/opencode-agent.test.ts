import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AgentScenario, runAgentContract } from '@sprint/core/testing';
import {
  type ChatReply,
  findAgentBin,
  opencodeTestEnv,
  startFakeOpenAIChat,
} from '@sprint/test-kit';
import { OpencodeAgent } from './opencode-agent.js';

const OPENCODE = findAgentBin('opencode', import.meta.dirname, 'opencode-ai');

const report = (status: string, summary: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ status, summary, deferred_items: [], files_changed: [], ...extra });

/** The fake provider's script for each case of the contract. */
function scriptFor(scenario: AgentScenario): ChatReply[] {
  switch (scenario.kind) {
    case 'write-file':
      return [
        { type: 'shell', command: `printf '%s\\n' '${scenario.content}' > ${scenario.file}` },
        // Prose around the object, as models write it: the agent still finds the result.
        {
          type: 'text',
          text: `Done.\n\n${report('completed', `Wrote ${scenario.file}.`, { files_changed: [scenario.file] })}`,
        },
      ];
    case 'fail':
      return [{ type: 'text', text: report('failed', scenario.summary) }];
    case 'needs-human':
      return [
        {
          type: 'text',
          text: report('needs-human', 'I need a decision.', {
            human_needed: { reason: scenario.question, options: ['postgres', 'sqlite'] },
          }),
        },
      ];
    case 'invalid-output':
      return [{ type: 'text', text: 'All done! {"status": "finished"}' }];
    case 'hang':
      return [{ type: 'shell', command: `touch ${scenario.file}; sleep 600` }];
    case 'silent':
    case 'binary-missing':
      return [{ type: 'hang' }];
  }
}

runAgentContract('OpencodeAgent (real opencode CLI, fake OpenAI-compatible chat API)', {
  // The CLI takes 5-100 s to start on a busy 2-core machine.
  timeoutMs: 300_000,
  // Independent cases (own fake, HOME and project each): the suite waits for
  // its slowest case, not the sum of the CLI's start-ups and limits.
  concurrent: true,
  make: async (scenario, { limits }) => {
    const fake = await startFakeOpenAIChat(scriptFor(scenario));
    const home = await mkdtemp(join(tmpdir(), 'agents-opencode-home-'));
    const agent = new OpencodeAgent({
      binary: scenario.kind === 'binary-missing' ? join(home, 'no-such-opencode') : OPENCODE,
      inheritEnv: false,
      env: opencodeTestEnv({ baseUrl: fake.baseUrl, home }),
      idleTimeoutMs: limits.idleTimeoutMs,
      killGraceMs: 1000,
    });
    return {
      agent,
      cleanup: async () => {
        await fake.close();
        await rm(home, { recursive: true, force: true });
      },
    };
  },
});
