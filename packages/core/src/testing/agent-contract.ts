import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, type ExpectStatic, it } from 'vitest';
import type { Agent, AgentContext } from '../agents/agent.js';
import type { AgentResult } from '../model/agent-result.js';
import type { AgentActivity } from '../model/events.js';
import { SprintConfigSchema, type TaskInput, TaskSchema } from '../model/sprint.js';

/**
 * What an agent is asked to do in one contract case. The target turns it
 * into a script for its fake provider (or a task command for the shell agent):
 *
 * - `write-file`: run a real shell command that writes `content` to `file` in
 *   the project, then report `completed`.
 * - `fail`: report `failed` with a summary.
 * - `needs-human`: report `needs-human` asking `question`.
 * - `invalid-output`: end without a valid result (prose, or JSON that does not match).
 * - `hang`: run a shell command that creates `file` and then sleeps for
 *   minutes (for cancel and the time limit).
 * - `silent`: never answer (the provider holds the request), for the idle limit.
 * - `binary-missing`: the agent's executable does not exist.
 */
export type AgentScenario =
  | { kind: 'write-file'; file: string; content: string }
  | { kind: 'fail'; summary: string }
  | { kind: 'needs-human'; question: string }
  | { kind: 'invalid-output' }
  | { kind: 'hang'; file: string }
  | { kind: 'silent' }
  | { kind: 'binary-missing' };

export type AgentScenarioKind = AgentScenario['kind'];

/** One agent set up for one case. */
export interface AgentUnderTest {
  agent: Agent;
  /** Fields for the task (the shell agent takes its `command` from here). */
  task?: Partial<TaskInput>;
  cleanup?: () => Promise<void>;
}

/** The agent the contract runs against. */
export interface AgentContractTarget {
  /**
   * Builds the agent for a case in `projectDir`. For `silent`, the agent's
   * idle limit must be `limits.idleTimeoutMs`.
   */
  make(
    scenario: AgentScenario,
    env: { projectDir: string; limits: { idleTimeoutMs: number } },
  ): Promise<AgentUnderTest>;
  /**
   * Cases this agent cannot take part in, each with the reason (the noop agent
   * does no work). They show as skipped with the reason in the test name.
   */
  unsupported?: Partial<Record<AgentScenarioKind, string>>;
  /** Overall timeout per case, ms. Default 90 s (real CLIs on a busy machine). */
  timeoutMs?: number;
  /**
   * Run the cases at the same time. Every case has its own project directory
   * and whatever `make` builds (a fake provider, a HOME), so they are
   * independent; a CLI that takes seconds to start (or a case that waits out
   * a time or idle limit) then costs the suite its longest case, not the sum.
   * Default false.
   */
  concurrent?: boolean;
}

/** PIDs of live processes (not zombies) in process group `pgid`, from /proc; [] without /proc. */
function liveGroupMembers(pgid: number): number[] {
  if (!existsSync('/proc/self/stat')) return [];
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) === pgid && f[0] !== 'Z' && f[0] !== 'X') found.push(Number(entry));
    } catch {
      // ended while we looked
    }
  }
  return found;
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * The behaviour every `Agent` must have, proven against the real thing (a
 * real CLI against a fake provider, a real shell). Run it from a test file:
 *
 * @example
 * import { runAgentContract } from '@sprint/core/testing';
 * runAgentContract('codex', { make: async (scenario, { projectDir }) => ({ agent: ... }) });
 */
export function runAgentContract(name: string, target: AgentContractTarget): void {
  const timeout = target.timeoutMs ?? 90_000;

  async function runCase(
    scenario: AgentScenario,
    options: {
      taskTimeoutMs?: number;
      idleTimeoutMs?: number;
      during?: (ctx: AgentContext, project: string, pids: Array<number | null>) => Promise<void>;
      /** Files to read from the project after the run, before it is removed. */
      read?: string[];
    } = {},
  ): Promise<{
    result: AgentResult;
    pids: Array<number | null>;
    activities: AgentActivity[];
    files: Record<string, string | undefined>;
  }> {
    const project = await mkdtemp(join(tmpdir(), 'agent-contract-'));
    const made = await target.make(scenario, {
      projectDir: project,
      limits: { idleTimeoutMs: options.idleTimeoutMs ?? 15 * 60_000 },
    });
    const controller = new AbortController();
    const pids: Array<number | null> = [];
    const activities: AgentActivity[] = [];
    const ctx: AgentContext = {
      task: TaskSchema.parse({
        id: 'contract-task',
        type: 'custom',
        description: 'A task of the agent contract',
        fields: { description: 'A task of the agent contract' },
        ...made.task,
      }),
      sprint: {
        id: 'contract-sprint',
        name: 'Agent contract',
        goals: ['prove the agent'],
        config: SprintConfigSchema.parse(
          options.taskTimeoutMs ? { taskTimeoutMs: options.taskTimeoutMs } : {},
        ),
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
    try {
      const running = made.agent.run(ctx);
      const during = options.during?.(ctx, project, pids).then(() => controller.abort());
      const [result] = await Promise.all([running, during]);
      const files: Record<string, string | undefined> = {};
      for (const f of options.read ?? []) files[f] = await readWritten(project, f);
      return { result, pids, activities, files };
    } finally {
      await made.cleanup?.();
      await rm(project, { recursive: true, force: true });
    }
  }

  // Each case asserts with its own test's `expect`, as concurrent tests must.
  const contractCase = (
    kind: AgentScenarioKind,
    title: string,
    fn: (expect: ExpectStatic) => Promise<void>,
  ) => {
    const why = target.unsupported?.[kind];
    if (why) it.skip(`${title} (not for this agent: ${why})`, ({ expect }) => fn(expect));
    else it(title, ({ expect }) => fn(expect), timeout);
  };

  const suite = target.concurrent ? describe.concurrent : describe;
  suite(`${name} (agent contract)`, () => {
    contractCase(
      'write-file',
      'runs a real command that writes a file, and reports completed',
      async (expect) => {
        const content = `hello from ${name}`;
        const { result, files, activities } = await runCase(
          { kind: 'write-file', file: 'contract-out.txt', content },
          { read: ['contract-out.txt'] },
        );
        expect(result.success, result.error?.message).toBe(true);
        expect(files['contract-out.txt']?.trim()).toBe(content);
        expect(activities.length, 'the agent streams what it does').toBeGreaterThan(0);
      },
    );

    contractCase(
      'fail',
      'reports a failure the agent names as failed, never success',
      async (expect) => {
        const { result } = await runCase({ kind: 'fail', summary: 'could not find the module' });
        expect(result.success).toBe(false);
        expect(result.error?.kind).toBe('failed');
        expect(result.summary).toContain('could not find the module');
      },
    );

    contractCase('needs-human', 'passes a question for a person on', async (expect) => {
      const { result } = await runCase({ kind: 'needs-human', question: 'Which database?' });
      expect(result.success).toBe(false);
      expect(result.needsHuman?.reason).toContain('Which database?');
    });

    contractCase(
      'invalid-output',
      'treats a missing or invalid result as invalid-output, never success',
      async (expect) => {
        const { result } = await runCase({ kind: 'invalid-output' });
        expect(result.success).toBe(false);
        expect(result.error?.kind).toBe('invalid-output');
      },
    );

    contractCase(
      'hang',
      'cancel mid-task stops the agent and leaves no process behind',
      async (expect) => {
        const { result, pids } = await runCase(
          { kind: 'hang', file: 'started.txt' },
          {
            during: async (_ctx, project) => {
              await until(
                'the agent to start its command',
                () => existsSync(join(project, 'started.txt')),
                timeout,
              );
            },
          },
        );
        expect(result.success).toBe(false);
        expect(result.error?.kind).toBe('cancelled');
        const pid = pids.find((p): p is number => typeof p === 'number');
        expect(pid, 'the agent records the PID of its process').toBeDefined();
        expect(pids.at(-1), 'and clears it when the process ended').toBeNull();
        expect(liveGroupMembers(pid as number)).toEqual([]);
      },
    );

    contractCase('hang', 'a task past its time limit is stopped as timeout', async (expect) => {
      const { result, pids } = await runCase(
        { kind: 'hang', file: 'started.txt' },
        { taskTimeoutMs: 8_000 },
      );
      expect(result.success).toBe(false);
      expect(result.error?.kind).toBe('timeout');
      const pid = pids.find((p): p is number => typeof p === 'number');
      if (pid !== undefined) expect(liveGroupMembers(pid)).toEqual([]);
    });

    contractCase(
      'silent',
      'an agent that prints nothing past the idle limit is stopped as idle',
      async (expect) => {
        const { result } = await runCase({ kind: 'silent' }, { idleTimeoutMs: 8_000 });
        expect(result.success).toBe(false);
        expect(result.error?.kind).toBe('idle');
      },
    );

    contractCase(
      'binary-missing',
      'a missing executable is binary-missing, with how to install it',
      async (expect) => {
        const { result } = await runCase({ kind: 'binary-missing' });
        expect(result.success).toBe(false);
        expect(result.error?.kind).toBe('binary-missing');
        expect(result.error?.message).toMatch(/install|SPRINT_\w+_BIN/i);
      },
    );
  });
}

/** Reads a file the agent wrote; for targets that check content in `make`'s cleanup. */
export async function readWritten(projectDir: string, file: string): Promise<string | undefined> {
  return readFile(join(projectDir, file), 'utf8').catch(() => undefined);
}
