import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentActivity } from '../model/events.js';
import type { AgentContext } from './agent.js';
import { NoopAgent, ShellAgent } from './builtin-agents.js';

function context(command: string | undefined, dir: string, signal = new AbortController().signal) {
  const activity: AgentActivity[] = [];
  const pids: (number | null)[] = [];
  const ctx: AgentContext = {
    task: { id: 't', type: 'shell', priority: 'medium', dependsOn: [], fields: {}, command },
    sprint: { id: 's', name: 'S', goals: [], config: { autoCommit: true, agents: {} } },
    projectDir: dir,
    stateFiles: [],
    attempt: 1,
    context: {},
    previousResults: [],
    signal,
    emit: (a) => activity.push(a),
    setPid: (p) => pids.push(p),
  };
  return { ctx, activity, pids };
}

function zombieOrGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

describe('built-in agents', () => {
  it('noop succeeds at once and says it did nothing', async () => {
    const result = await new NoopAgent().run(context(undefined, tmpdir()).ctx);
    expect(result.success).toBe(true);
    expect(result.summary).toContain('nothing was done');
  });

  it('shell decides success by the exit code and streams output lines', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shell-agent-'));
    try {
      const ok = context('echo one; echo two', dir);
      const good = await new ShellAgent().run(ok.ctx);
      expect(good.success).toBe(true);
      expect(ok.activity).toEqual([
        { kind: 'log', stream: 'stdout', line: 'one' },
        { kind: 'log', stream: 'stdout', line: 'two' },
      ]);
      expect(ok.pids.at(-1)).toBeNull();
      const bad = await new ShellAgent().run(context('echo nope >&2; exit 3', dir).ctx);
      expect(bad.success).toBe(false);
      expect(bad.error).toMatchObject({ kind: 'failed', exitCode: 3 });
      expect(bad.summary).toContain('nope');
      const none = await new ShellAgent().run(context(undefined, dir).ctx);
      expect(none.error?.kind).toBe('config');
      // A free-form field named command never runs: only the task's own command does.
      const smuggled = context(undefined, dir);
      smuggled.ctx.task.fields = { command: 'touch smuggled' };
      expect((await new ShellAgent().run(smuggled.ctx)).error?.kind).toBe('config');
      await expect(stat(join(dir, 'smuggled'))).rejects.toThrow();
      // Commands never see sprint's own API token.
      process.env.SPRINT_API_TOKEN = 'tok-abcdefghijklmnop';
      try {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, on purpose.
        const env = context('echo "token=${SPRINT_API_TOKEN:-none}"', dir);
        await new ShellAgent().run(env.ctx);
        expect(env.activity).toContainEqual({ kind: 'log', stream: 'stdout', line: 'token=none' });
      } finally {
        delete process.env.SPRINT_API_TOKEN;
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('shell ends the whole process group on abort', async () => {
    const ac = new AbortController();
    const { ctx, pids } = context('sleep 30 & sleep 30; wait', tmpdir(), ac.signal);
    const running = new ShellAgent().run(ctx);
    // Wait for the group to exist (its PID reported, both sleeps started), not for a fixed time.
    const live = (pgid: number) => listGroup(pgid).filter((pid) => !zombieOrGone(pid));
    await until(() => typeof pids[0] === 'number' && live(pids[0]).length >= 3);
    const pgid = pids[0] as number;
    expect(pgid).toBeGreaterThan(0);
    ac.abort();
    const result = await running;
    expect(result.error?.kind).toBe('cancelled');
    await until(() => live(pgid).length === 0);
    expect(live(pgid)).toEqual([]);
  });
});

function listGroup(pgid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
}

/** Polls `check` until it holds, failing after a generous overall limit. */
async function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
