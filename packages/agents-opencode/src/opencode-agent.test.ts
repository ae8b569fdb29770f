import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliContractCase, finalJsonScript, runAgentContract } from '@sprint/core/testing';
import { agentContext, findAgentBin, opencodeTestEnv, startFakeOpenAIChat } from '@sprint/test-kit';
import { describe, expect, it } from 'vitest';
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

describe('the cost of an opencode run (real CLI; its events never name the model)', () => {
  /**
   * Runs one task against a fake answering with 1M input tokens. The inline
   * config (OPENCODE_CONFIG_CONTENT) defines the provider with `models`; the
   * project's opencode.json holds `project` when given.
   */
  async function priced(models: Record<string, unknown>, project?: Record<string, unknown>) {
    const fake = await startFakeOpenAIChat([
      {
        type: 'text',
        text: '{"status":"completed","summary":"Done."}',
        usage: { prompt_tokens: 1_000_000, completion_tokens: 0 },
      },
    ]);
    const home = await mkdtemp(join(tmpdir(), 'opencode-price-home-'));
    const dir = await mkdtemp(join(tmpdir(), 'opencode-price-project-'));
    try {
      const env = opencodeTestEnv({ baseUrl: fake.baseUrl, home });
      const inline = JSON.parse(env.OPENCODE_CONFIG_CONTENT ?? '{}');
      delete inline.model;
      inline.provider.fake.models = models;
      env.OPENCODE_CONFIG_CONTENT = JSON.stringify(inline);
      if (project) await writeFile(join(dir, 'opencode.json'), JSON.stringify(project));
      const agent = new OpencodeAgent({
        binary: OPENCODE,
        inheritEnv: false,
        env,
        killGraceMs: 1000,
      });
      const ctx = agentContext(dir);
      // What a dry run says the run will use, read before the run.
      const planned = agent.plannedModel({
        task: ctx.task,
        config: ctx.sprint.config,
        projectDir: dir,
        env: {},
      });
      const result = await agent.run(ctx);
      const asked = fake.chatRequests().map((r) => (r.body as { model?: string }).model);
      return { result, asked, planned, dir };
    } finally {
      await fake.close();
      await rm(home, { recursive: true, force: true });
      await rm(dir, { recursive: true, force: true });
    }
  }

  it.concurrent("prices by the model the project's opencode.json names, the one the CLI asked the provider for", async () => {
    const { result, asked, planned, dir } = await priced(
      { 'gpt-5-mini': { name: 'Mini' } },
      { model: 'fake/gpt-5-mini' },
    );
    expect(result.success, result.error?.message).toBe(true);
    expect(asked).toContain('gpt-5-mini');
    expect(planned).toEqual({
      model: 'fake/gpt-5-mini',
      source: { kind: 'file', file: join(dir, 'opencode.json') },
    });
    // gpt-5-mini: $0.25 per million input tokens (the `*` fallback would be $3).
    expect(result.costUsd).toBeCloseTo(0.25, 6);
    expect(result.costEstimated).toBe(true);
    expect(result.costModel).toBe('fake/gpt-5-mini');
    expect(result.costFallback).toBeUndefined();
  }, 300_000);

  it.concurrent('takes the cost opencode priced itself, not an estimate', async () => {
    const { result } = await priced(
      { 'gpt-5-mini': { name: 'Mini', cost: { input: 2, output: 8 } } },
      { model: 'fake/gpt-5-mini' },
    );
    expect(result.success, result.error?.message).toBe(true);
    expect(result.costUsd).toBeCloseTo(2, 6);
    expect(result.costEstimated).toBeUndefined();
    expect(result.costFallback).toBeUndefined();
  }, 300_000);

  it.concurrent('marks the fallback price when no configuration names the model', async () => {
    const { result, asked, planned } = await priced({ 'fake-model': { name: 'Fake' } });
    expect(result.success, result.error?.message).toBe(true);
    expect(asked).toContain('fake-model');
    // A dry run says so too: opencode's own default, which only its catalog knows.
    expect(planned).toBeUndefined();
    expect(result.costUsd).toBeCloseTo(3, 6);
    expect(result.costEstimated).toBe(true);
    expect(result.costModel).toBeUndefined();
    expect(result.costFallback).toBe(true);
  }, 300_000);
});
