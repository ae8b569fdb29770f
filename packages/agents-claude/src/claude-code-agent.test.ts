import { readdirSync, readFileSync } from 'node:fs';
import { chmod, copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AgentActivity,
  type AgentContext,
  SprintConfigSchema,
  type TaskInput,
  TaskSchema,
} from '@sprint/core';
import {
  claudeTestEnv,
  type FakeAnthropic,
  type FakeScript,
  findClaudeBin,
  startFakeAnthropic,
} from '@sprint/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { ClaudeCodeAgent } from './claude-code-agent.js';
import type { ClaudeCodeOptions } from './options.js';

const CLAUDE = findClaudeBin(import.meta.dirname);

interface Harness {
  fake: FakeAnthropic;
  home: string;
  project: string;
  activities: AgentActivity[];
  pids: Array<number | null>;
  controller: AbortController;
  agent: ClaudeCodeAgent;
  ctx: AgentContext;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function harness(
  script: FakeScript,
  options: ClaudeCodeOptions = {},
  task: Partial<TaskInput> = {},
): Promise<Harness> {
  const fake = await startFakeAnthropic(script);
  const home = await mkdtemp(join(tmpdir(), 'agents-claude-home-'));
  const project = await mkdtemp(join(tmpdir(), 'agents-claude-project-'));
  cleanups.push(async () => {
    await fake.close();
    await rm(home, { recursive: true, force: true });
    await rm(project, { recursive: true, force: true });
  });
  const activities: AgentActivity[] = [];
  const pids: Array<number | null> = [];
  const controller = new AbortController();
  const agent = new ClaudeCodeAgent({
    binary: CLAUDE,
    inheritEnv: false,
    env: claudeTestEnv({ baseUrl: fake.url, home }),
    killGraceMs: 1000,
    ...options,
  });
  const ctx: AgentContext = {
    task: TaskSchema.parse({
      id: 'custom-write-hello',
      type: 'custom',
      description: 'Write hello to out.txt',
      fields: { description: 'Write hello to out.txt', 'done-when': 'out.txt holds hello' },
      ...task,
    }),
    sprint: {
      id: 'sprint-1',
      name: 'Test sprint',
      goals: ['prove the agent works'],
      config: SprintConfigSchema.parse({}),
    },
    projectDir: project,
    stateFiles: [join(project, '.sprint/PROGRESS.yaml')],
    attempt: 1,
    context: {},
    previousResults: [],
    signal: controller.signal,
    emit: (a) => activities.push(a),
    setPid: (pid) => pids.push(pid),
  };
  return { fake, home, project, activities, pids, controller, agent, ctx };
}

const completed = {
  status: 'completed',
  summary: 'Wrote hello to out.txt.',
  deferred_items: ['Add a test for out.txt'],
  files_changed: ['out.txt'],
};

/** Processes whose process group is `pgid`, from /proc (zombies included, init's too unless `notInits`). */
function groupMembers(pgid: number, notInits = false): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[0] is the state, fields[2] the process group
      if (Number(fields[2]) !== pgid || (notInits && initsZombie(stat))) continue;
      found.push(`${entry} ${fields[0]} ${stat.slice(0, 60)}`);
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

/** Processes (zombies included) whose command name is `name`. */
function processesNamed(name: string): string[] {
  return procStats().filter((s) => s.includes(`(${name})`));
}

/** Live processes whose environment has HOME=home: everything a test's CLI started. */
function processesWithHome(home: string): number[] {
  const needle = Buffer.from(`HOME=${home}\0`);
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`).includes(needle)) found.push(Number(entry));
    } catch {
      // ended while we looked
    }
  }
  return found;
}

function procStats(): string[] {
  const out: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      out.push(readFileSync(`/proc/${entry}/stat`, 'utf8'));
    } catch {
      // ended while we looked
    }
  }
  return out;
}

/**
 * Whether a /proc stat line is a zombie whose parent is init. A stop signals
 * all of a task's processes together (so none goes on to its next step), and
 * a parent may die before it reaps its child: the child is then init's to
 * reap, and stays where PID 1 does not reap orphans (as in some containers).
 */
function initsZombie(stat: string): boolean {
  const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return state === 'Z' && ppid === '1';
}

function expectGroupGone(pgid: number): void {
  expect(groupMembers(pgid, true)).toEqual([]);
  if (groupMembers(pgid).length > 0) return; // init's zombies only: signalling the group still succeeds
  let code: string | undefined;
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    code = (error as NodeJS.ErrnoException).code;
  }
  expect(code).toBe('ESRCH');
}

describe('ClaudeCodeAgent with the real claude CLI and a fake API', () => {
  it('runs Bash through the CLI and reports a completed structured result with cost and tokens', async () => {
    const h = await harness([
      {
        type: 'tool-use',
        name: 'Bash',
        input: { command: 'echo hello > out.txt', description: 'Write the file' },
        text: 'Writing the file.',
        usage: { input_tokens: 120, output_tokens: 30, cache_read_input_tokens: 50 },
      },
      {
        type: 'structured-output',
        output: completed,
        usage: { input_tokens: 200, output_tokens: 40, cache_creation_input_tokens: 10 },
      },
    ]);
    const result = await h.agent.run(h.ctx);

    expect(result.error).toBeUndefined();
    expect(result.success).toBe(true);
    expect(await readFile(join(h.project, 'out.txt'), 'utf8')).toBe('hello\n');
    expect(result.summary).toBe('Wrote hello to out.txt.');
    expect(result.deferredItems).toEqual(['Add a test for out.txt']);
    expect(result.filesChanged).toEqual(['out.txt']);
    expect(result.costUsd).toBeGreaterThan(0);
    expect(result.tokens).toEqual({ input: 320, output: 70, cacheRead: 50, cacheCreation: 10 });
    expect(result.durationMs).toBeGreaterThan(0);
    expect(result.sessionId).toMatch(/^[0-9a-f-]{36}$/);

    // live events, in order
    const kinds = h.activities.map((a) => a.kind);
    expect(kinds[0]).toBe('init');
    expect(h.activities[0]).toMatchObject({ kind: 'init', sessionId: result.sessionId });
    expect(h.activities).toContainEqual({ kind: 'text', text: 'Writing the file.' });
    expect(h.activities).toContainEqual({
      kind: 'tool-use',
      tool: 'Bash',
      input: 'echo hello > out.txt',
    });
    expect(h.activities).toContainEqual(
      expect.objectContaining({ kind: 'tool-result', tool: 'Bash', isError: false }),
    );
    expect(kinds.indexOf('tool-use')).toBeLessThan(kinds.indexOf('tool-result'));
    expect(h.activities.at(-1)).toMatchObject({ kind: 'usage', costUsd: result.costUsd });

    // the PID was recorded while it ran and cleared after
    expect(h.pids).toHaveLength(2);
    expect(h.pids[0]).toBeTypeOf('number');
    expect(h.pids[1]).toBeNull();
    expectGroupGone(h.pids[0]!);

    // the prompt went in on stdin and the schema as --json-schema (the StructuredOutput tool)
    const first = h.fake.messageRequests()[0]!.body as {
      messages: unknown;
      tools: Array<{ name: string; input_schema: unknown }>;
    };
    expect(JSON.stringify(first.messages)).toContain('custom-write-hello');
    const so = first.tools.find((t) => t.name === 'StructuredOutput');
    expect(JSON.stringify(so?.input_schema)).toContain('needs-human');
  });

  it('reports needs-human with the reason, details and options', async () => {
    const h = await harness([
      {
        type: 'structured-output',
        output: {
          status: 'needs-human',
          summary: 'The target file format is unclear.',
          deferred_items: [],
          files_changed: [],
          human_needed: {
            reason: 'Should out.txt be JSON or plain text?',
            details: 'The task says hello but not the format.',
            options: ['JSON', 'plain text'],
          },
        },
      },
    ]);
    const result = await h.agent.run(h.ctx);
    expect(result.success).toBe(false);
    expect(result.needsHuman).toEqual({
      reason: 'Should out.txt be JSON or plain text?',
      details: 'The task says hello but not the format.',
      options: ['JSON', 'plain text'],
    });
    expect(result.summary).toBe('The target file format is unclear.');
  });

  it('reports a failed task as kind failed with the summary', async () => {
    const h = await harness([
      {
        type: 'structured-output',
        output: {
          status: 'failed',
          summary: 'The build is broken before my change.',
          deferred_items: ['fix the build'],
          files_changed: [],
        },
      },
    ]);
    const result = await h.agent.run(h.ctx);
    expect(result.success).toBe(false);
    expect(result.error).toMatchObject({
      kind: 'failed',
      message: 'The build is broken before my change.',
    });
    expect(result.deferredItems).toEqual(['fix the build']);
  });

  it('does not take success from the text or the exit code without a structured result', async () => {
    const h = await harness([
      { type: 'text', text: 'TASK COMPLETE. All done, status: completed.' },
    ]);
    const result = await h.agent.run(h.ctx);
    expect(result.success).toBe(false);
    expect(result.error?.kind).toBe('invalid-output');
    expect(result.error?.message).toMatch(/StructuredOutput/);
    expect(result.error?.exitCode).toBe(0);
  });

  it('classifies an API 400 as api-error', async () => {
    const h = await harness([
      { type: 'error', status: 400, message: 'messages: bad request (fake)' },
    ]);
    const result = await h.agent.run(h.ctx);
    expect(result.success).toBe(false);
    expect(result.error).toMatchObject({ kind: 'api-error' });
    expect(result.error?.message).toMatch(/400/);
    expect(result.error?.message).toMatch(/bad request \(fake\)/);
  });

  it('classifies repeated 529 as overloaded, and a second run succeeds once the API recovers', async () => {
    let overloaded = true;
    const h = await harness(() =>
      overloaded
        ? { type: 'error', status: 529 }
        : { type: 'structured-output', output: completed },
    );
    const first = await h.agent.run(h.ctx);
    expect(first.success).toBe(false);
    expect(first.error?.kind).toBe('overloaded');
    expect(h.activities.some((a) => a.kind === 'retry' && a.message.includes('529'))).toBe(true);

    overloaded = false;
    const second = await h.agent.run(h.ctx);
    expect(second.success).toBe(true);
    expect(second.summary).toBe(completed.summary);
    expect(second.sessionId).not.toBe(first.sessionId);
  }, 120_000); // two real CLI runs and the CLI's own retries of 529, beside another suite

  for (const status of [401, 403]) {
    it(`ends a run at the API's first ${status}, without the CLI's minutes of retries, and says how to log in`, async () => {
      // Limits far beyond the test's own: only the refusal can end this run in time.
      const h = await harness([{ type: 'error', status }], {
        idleTimeoutMs: 10 * 60_000,
        timeoutMs: 20 * 60_000,
      });
      const result = await h.agent.run(h.ctx);
      expect(result.success).toBe(false);
      expect(result.error?.kind).toBe('auth');
      // The CLI retries a 401 (for minutes); it gives up on a 403 itself.
      expect(result.error?.message).toMatch(new RegExp(`${status}`));
      expect(result.error?.message).toMatch(/ANTHROPIC_API_KEY/);
      expect(result.error?.message).toMatch(/\/login/);
      expect(h.fake.messageRequests().length).toBe(1);
      expectGroupGone(h.pids[0]!);
    });
  }

  it('ends a run whose model never answers at the time limit', async () => {
    const h = await harness([{ type: 'hang' }], { timeoutMs: 3000 });
    const result = await h.agent.run(h.ctx);
    expect(result.success).toBe(false);
    expect(result.error?.kind).toBe('timeout');
    expect(result.error?.message).toMatch(/time limit of 3\.0 s/);
    expect(result.durationMs).toBeGreaterThanOrEqual(3000);
    expect(result.durationMs).toBeLessThan(8000);
    expect(result.error?.signal ?? result.error?.exitCode).toBeTruthy();
    expectGroupGone(h.pids[0]!);
  });

  it("cancels mid-task: the CLI and the tool it runs are gone, no zombie left but init's", async () => {
    // A copy of `sleep` under a name of its own, to find its process (zombie or not) in /proc.
    const sleeper = `slp${process.pid}`.slice(0, 15);
    const h = await harness([
      {
        type: 'tool-use',
        name: 'Bash',
        input: { command: `./${sleeper} 60 && echo late > late.txt` },
      },
      { type: 'hang' },
    ]);
    await copyFile('/bin/sleep', join(h.project, sleeper));
    await chmod(join(h.project, sleeper), 0o755);
    const running = h.agent.run(h.ctx);
    cleanups.push(async () => {
      h.controller.abort();
      await running;
    });
    let tool: string[] = [];
    for (let i = 0; i < 200 && tool.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      tool = processesNamed(sleeper);
    }
    expect(tool).toHaveLength(1); // the tool runs
    const pgid = h.pids[0]!;
    expect(groupMembers(pgid).length).toBeGreaterThan(0);

    h.controller.abort();
    const result = await running;
    expect(result.success).toBe(false);
    expect(result.error?.kind).toBe('cancelled');
    // It did not wait for the tool's 60 s (a bound on the machine's speed would be a flake).
    expect(result.durationMs).toBeLessThan(60_000);
    expect(h.pids).toEqual([pgid, null]);
    expectGroupGone(pgid);
    // Gone, and not a zombie either but one left to init (see initsZombie).
    expect(processesNamed(sleeper).filter((stat) => !initsZombie(stat))).toEqual([]);
    expect(processesWithHome(h.home)).toEqual([]);
    expect(h.fake.messageRequests().length).toBeLessThanOrEqual(2);
  }, 120_000); // the CLI's start-up alone takes seconds beside another suite

  it('reports max-turns when the model keeps calling tools', async () => {
    const h = await harness([{ type: 'tool-use', name: 'Bash', input: { command: 'true' } }], {
      maxTurns: 2,
    });
    const result = await h.agent.run(h.ctx);
    expect(result.success).toBe(false);
    expect(result.error?.kind).toBe('max-turns');
    expect(result.error?.message).toMatch(/maxTurns/);
    expect(result.costUsd).toBeGreaterThan(0);
  });

  it('reports budget when the task spends past maxBudgetUsd', async () => {
    const h = await harness([{ type: 'tool-use', name: 'Bash', input: { command: 'true' } }], {
      maxBudgetUsd: 0.002,
    });
    const result = await h.agent.run(h.ctx);
    expect(result.error?.kind).toBe('budget');
    expect(result.costUsd).toBeGreaterThanOrEqual(0.002);
  });

  it('keeps a stray non-JSON line on stdout as a log activity and still succeeds', async () => {
    const h = await harness([{ type: 'structured-output', output: completed }]);
    const wrapper = join(h.home, 'claude-noisy');
    await writeFile(
      wrapper,
      `#!/bin/sh\necho 'Warning: this is not JSON {'\nexec '${CLAUDE}' "$@"\n`,
    );
    await chmod(wrapper, 0o755);
    const agent = new ClaudeCodeAgent({ ...h.agent.options, binary: wrapper });
    const result = await agent.run(h.ctx);
    expect(result.success).toBe(true);
    expect(h.activities[0]).toEqual({
      kind: 'log',
      stream: 'stdout',
      line: 'Warning: this is not JSON {',
    });
  });

  it('says how to install the CLI when the binary is missing (option or SPRINT_CLAUDE_BIN)', async () => {
    const h = await harness([{ type: 'text', text: 'unused' }], {
      binary: join(tmpdir(), 'no-such-dir', 'claude'),
    });
    const result = await h.agent.run(h.ctx);
    expect(result.success).toBe(false);
    expect(result.error?.kind).toBe('binary-missing');
    expect(result.error?.message).toMatch(/pnpm add -D @anthropic-ai\/claude-code/);
    expect(result.error?.message).toMatch(/npm i -g @anthropic-ai\/claude-code/);
    expect(result.error?.message).toMatch(/SPRINT_CLAUDE_BIN/);
    expect(h.pids).toEqual([]);

    const before = process.env.SPRINT_CLAUDE_BIN;
    process.env.SPRINT_CLAUDE_BIN = join(tmpdir(), 'also-missing-claude');
    try {
      const { binary: _drop, ...rest } = h.agent.options;
      const viaEnv = await new ClaudeCodeAgent(rest).run(h.ctx);
      expect(viaEnv.error?.kind).toBe('binary-missing');
      expect(viaEnv.error?.message).toContain('also-missing-claude');
    } finally {
      if (before === undefined) delete process.env.SPRINT_CLAUDE_BIN;
      else process.env.SPRINT_CLAUDE_BIN = before;
    }
  });

  it('reports a refused permission as a config error, not a hang', async () => {
    const h = await harness(
      [
        { type: 'tool-use', name: 'Bash', input: { command: 'echo hi > denied.txt' } },
        {
          type: 'structured-output',
          output: {
            status: 'blocked',
            summary: 'Bash was denied.',
            deferred_items: [],
            files_changed: [],
          },
        },
      ],
      { permissionMode: 'dontAsk', allowedTools: [] },
    );
    const result = await h.agent.run(h.ctx);
    expect(result.success).toBe(false);
    expect(result.error?.kind).toBe('config');
    expect(result.error?.message).toMatch(/refused permission for Bash/);
    expect(result.error?.message).toMatch(/allowed-tools under config.claude/);
  });

  it('uses defaults that work for this user; bypassPermissions under root is a clear config error', async () => {
    const isRoot = process.getuid?.() === 0;
    const h = await harness(
      [
        { type: 'tool-use', name: 'Bash', input: { command: 'echo hi > ok.txt' } },
        { type: 'structured-output', output: completed },
      ],
      { permissionMode: 'bypassPermissions' },
    );
    const forced = await h.agent.run(h.ctx);
    if (isRoot) {
      expect(forced.error?.kind).toBe('config');
      expect(forced.error?.message).toMatch(/root/);
      expect(forced.error?.message).toMatch(/acceptEdits/);
    } else {
      expect(forced.success).toBe(true);
    }
    // the defaults (no permission options) run Bash without a prompt either way
    const { permissionMode: _drop, ...rest } = h.agent.options;
    const defaults = await new ClaudeCodeAgent(rest).run(h.ctx);
    expect(defaults.success).toBe(true);
    expect(await readFile(join(h.project, 'ok.txt'), 'utf8')).toBe('hi\n');
  });

  it("takes per-sprint options from the sprint's config.claude and rejects unknown ones", async () => {
    const h = await harness([{ type: 'tool-use', name: 'Bash', input: { command: 'true' } }]);
    h.ctx.sprint.config.claude = { 'max-turns': 1 };
    const limited = await h.agent.run(h.ctx);
    expect(limited.error?.kind).toBe('max-turns');
    expect(limited.error?.message).toMatch(/\(1\)/);

    h.ctx.sprint.config.claude = { 'max-turnz': 1 };
    const wrong = await h.agent.run(h.ctx);
    expect(wrong.error).toMatchObject({ kind: 'config' });
    expect(wrong.error?.message).toMatch(/max-turnz|maxTurnz/);

    // What runs, and with which environment, is never a sprint file's choice.
    for (const key of ['binary', 'env', 'extra-args', 'inheritEnv', 'cwd']) {
      h.ctx.sprint.config.claude = { [key]: key === 'env' ? { X: '1' } : '/tmp/evil.sh' };
      const refused = await h.agent.run(h.ctx);
      expect(refused.error, key).toMatchObject({ kind: 'config' });
      expect(refused.error?.message).toMatch(/cannot set/);
    }
  });

  it("asks for the task's own model over config.claude's and the agent's", async () => {
    const h = await harness(
      [{ type: 'structured-output', output: completed }],
      { model: 'claude-haiku-4-5' },
      { fields: { description: 'd', 'done-when': 'w', model: 'claude-opus-4-5' } },
    );
    h.ctx.sprint.config.claude = { model: 'claude-sonnet-4-5' };
    const result = await h.agent.run(h.ctx);
    expect(result.success, result.error?.message).toBe(true);
    expect((h.fake.messageRequests()[0]!.body as { model: string }).model).toBe('claude-opus-4-5');
  });

  it('reports a missing working directory as config, not as a missing binary', async () => {
    const h = await harness([{ type: 'text', text: 'unused' }], {
      cwd: join(tmpdir(), 'no-such-project-dir'),
    });
    const result = await h.agent.run(h.ctx);
    expect(result.error?.kind).toBe('config');
    expect(result.error?.message).toMatch(/no-such-project-dir/);
  });

  it('rejects invalid options when constructed', () => {
    expect(() => new ClaudeCodeAgent({ maxTurns: 0 })).toThrow(/maxTurns/);
    expect(() => new ClaudeCodeAgent({ permissionMode: 'yolo' as never })).toThrow(
      /permissionMode/,
    );
  });
});

describe('ClaudeCodeAgent.plannedModel', () => {
  it("names the task's model, else config.claude's, else the agent's option; none when the sprint's options are invalid", () => {
    const task = (fields: Record<string, unknown> = {}) =>
      TaskSchema.parse({ id: 't', type: 'custom', fields: { description: 'd', ...fields } });
    const plan = (agent: ClaudeCodeAgent, t = task(), claude?: Record<string, unknown>) =>
      agent.plannedModel({
        task: t,
        config: { ...SprintConfigSchema.parse({}), ...(claude ? { claude } : {}) },
        projectDir: tmpdir(),
        env: {},
      });
    // sprint reads no claude settings: with nothing named, the CLI's own default.
    expect(plan(new ClaudeCodeAgent())).toBeUndefined();
    const agent = new ClaudeCodeAgent({ model: 'claude-haiku-4-5' });
    expect(plan(agent)).toEqual({ model: 'claude-haiku-4-5', source: { kind: 'options' } });
    expect(plan(agent, task(), { model: 'claude-sonnet-4-5' })).toEqual({
      model: 'claude-sonnet-4-5',
      source: { kind: 'sprint' },
    });
    expect(plan(agent, task({ model: 'claude-opus-4-5' }), { model: 'claude-sonnet-4-5' })).toEqual(
      { model: 'claude-opus-4-5', source: { kind: 'task' } },
    );
    // The run would fail on this config before choosing a model.
    expect(plan(agent, task(), { binary: '/tmp/evil.sh' })).toBeUndefined();
  });
});
