import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AgentScenario, cliContractCase, runAgentContract } from '@sprint/core/testing';
import {
  agentContext,
  codexTestEnv,
  findAgentBin,
  type ResponsesReply,
  startFakeOpenAIResponses,
} from '@sprint/test-kit';
import { describe, expect, it } from 'vitest';
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

describe('CodexAgent pricing', () => {
  it("prices a run by the model in codex's config.toml when none is given (codex's events never name it)", async () => {
    const fake = await startFakeOpenAIResponses([
      {
        type: 'message',
        text: report('completed', 'Done.'),
        usage: { input_tokens: 1_000_000, cached_input_tokens: 0, output_tokens: 0 },
      },
    ]);
    const home = await mkdtemp(join(tmpdir(), 'codex-price-home-'));
    const project = await mkdtemp(join(tmpdir(), 'codex-price-project-'));
    try {
      const agent = new CodexAgent({
        binary: CODEX,
        inheritEnv: false,
        // config.toml says `model = "gpt-5-nano"`; the agent is given no model.
        env: codexTestEnv({ baseUrl: fake.baseUrl, home, model: 'gpt-5-nano' }),
        killGraceMs: 1000,
      });
      const ctx = agentContext(project);
      // A dry run names the model the run then uses.
      expect(
        agent.plannedModel({
          task: ctx.task,
          config: ctx.sprint.config,
          projectDir: project,
          env: {},
        }),
      ).toEqual({
        model: 'gpt-5-nano',
        source: { kind: 'file', file: join(home, '.codex', 'config.toml') },
      });
      const result = await agent.run(ctx);
      expect(result.success, result.error?.message).toBe(true);
      expect(
        fake.requests.some((r) => (r.body as { model?: string })?.model === 'gpt-5-nano'),
      ).toBe(true);
      // gpt-5-nano: $0.05 per million input tokens (the `*` fallback would be $3).
      expect(result.costUsd).toBeCloseTo(0.05, 6);
      expect(result.costEstimated).toBe(true);
    } finally {
      await fake.close();
      await rm(home, { recursive: true, force: true });
      await rm(project, { recursive: true, force: true });
    }
  });
});

describe('CodexAgent.plannedModel', () => {
  it("names the model a run would use and what chose it: the task's, the sprint's, the options', then config.toml", async () => {
    const home = await mkdtemp(join(tmpdir(), 'codex-plan-home-'));
    try {
      const project = join(home, 'project');
      await mkdir(join(home, '.codex'), { recursive: true });
      await mkdir(project);
      const ctx = agentContext(project);
      const plan = (
        agent: CodexAgent,
        env: Record<string, string | undefined>,
        fields: Record<string, unknown> = {},
        config: Record<string, unknown> = {},
      ) =>
        agent.plannedModel({
          task: { ...ctx.task, fields: { ...ctx.task.fields, ...fields } },
          config: { ...ctx.sprint.config, ...config },
          projectDir: project,
          env,
        });
      const env = { HOME: home };
      // No config.toml, no option: codex's own default.
      expect(plan(new CodexAgent(), env)).toBeUndefined();
      const file = join(home, '.codex', 'config.toml');
      await writeFile(file, 'model = "gpt-5"\n');
      expect(plan(new CodexAgent(), env)).toEqual({
        model: 'gpt-5',
        source: { kind: 'file', file },
      });
      // CODEX_HOME moves the file, as it does for codex.
      const codexHome = join(home, 'elsewhere');
      await mkdir(codexHome);
      await writeFile(join(codexHome, 'config.toml'), 'model = "o4-mini"\n');
      expect(plan(new CodexAgent(), { ...env, CODEX_HOME: codexHome })).toEqual({
        model: 'o4-mini',
        source: { kind: 'file', file: join(codexHome, 'config.toml') },
      });
      // The agent's own env is what its CLI sees; without inheritEnv the run's is not.
      expect(
        plan(new CodexAgent({ inheritEnv: false, env: { CODEX_HOME: codexHome } }), env),
      ).toEqual({
        model: 'o4-mini',
        source: { kind: 'file', file: join(codexHome, 'config.toml') },
      });
      expect(plan(new CodexAgent({ inheritEnv: false }), env)).toBeUndefined();
      expect(plan(new CodexAgent({ config: { model: '"gpt-5-codex"' } }), env)).toEqual({
        model: 'gpt-5-codex',
        source: { kind: 'options' },
      });
      expect(plan(new CodexAgent({ model: 'gpt-5-pro' }), env)).toEqual({
        model: 'gpt-5-pro',
        source: { kind: 'options' },
      });
      const sprint = { codex: { model: 'gpt-5-mini' } };
      expect(plan(new CodexAgent({ model: 'gpt-5-pro' }), env, {}, sprint)).toEqual({
        model: 'gpt-5-mini',
        source: { kind: 'sprint' },
      });
      expect(plan(new CodexAgent(), env, { model: 'gpt-4.1' }, sprint)).toEqual({
        model: 'gpt-4.1',
        source: { kind: 'task' },
      });
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
