import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Agent } from '../agents/agent.js';
import type { AgentContractTarget, AgentScenario } from './agent-contract.js';

/** What an agent CLI is built from in one contract case. */
export interface CliCase<F> {
  /** The CLI's executable, or one that does not exist for `binary-missing`. */
  binary: string;
  /** A fresh HOME for the CLI, removed after the case. */
  home: string;
  /** The fake provider, closed after the case. */
  fake: F;
  idleTimeoutMs: number;
}

/**
 * The contract's `make` for an agent CLI run against a fake provider: one
 * fake and one HOME per case (so cases may run at the same time), the
 * binary replaced by a missing one for `binary-missing`.
 */
export function cliContractCase<F extends { close(): Promise<void> }>(spec: {
  cli: string;
  binary: string;
  startFake: (scenario: AgentScenario) => Promise<F>;
  agent: (made: CliCase<F>) => Agent;
}): AgentContractTarget['make'] {
  return async (scenario, { limits }) => {
    const fake = await spec.startFake(scenario);
    const home = await mkdtemp(join(tmpdir(), `agents-${spec.cli}-home-`));
    const binary =
      scenario.kind === 'binary-missing' ? join(home, `no-such-${spec.cli}`) : spec.binary;
    return {
      agent: spec.agent({ binary, home, fake, idleTimeoutMs: limits.idleTimeoutMs }),
      cleanup: async () => {
        await fake.close();
        await rm(home, { recursive: true, force: true });
      },
    };
  };
}

/** A provider reply in the script of a CLI that ends with a JSON result in its final text. */
export type FinalJsonReply =
  | { type: 'text'; text: string }
  | { type: 'shell'; command: string }
  | { type: 'hang' };

const report = (status: string, summary: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ status, summary, deferred_items: [], files_changed: [], ...extra });

/** The fake provider's script for a contract case, for CLIs without a schema option. */
export function finalJsonScript(scenario: AgentScenario): FinalJsonReply[] {
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
