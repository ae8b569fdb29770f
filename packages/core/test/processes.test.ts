import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { AgentRegistry } from '../src/agents/agent-registry.js';
import { ShellAgent } from '../src/agents/builtin-agents.js';
import { SprintRunner } from '../src/runner/sprint-runner.js';
import { SprintDirectoryStore } from '../src/stores/sprint-directory-store.js';
import { alive, childWrote, startChild, tempSprint, waitFor } from './helpers.js';

describe('runners in other processes', () => {
  it('runs the agents of these tests in the sprint folder even when a git checkout holds the temp dir', async () => {
    const outer = await mkdtemp(join(tmpdir(), 'sprint-proc-checkout-'));
    await mkdir(join(outer, '.git'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = outer;
    try {
      const s = await tempSprint([{ id: 'a', command: 'pwd > where.txt' }]);
      try {
        expect((await s.store.load(s.id)).projectDir).toBe(s.dir);
        const out = await startChild(s.dir).output;
        expect(JSON.parse(out.stdout.trim().split('\n').at(-1)!).status).toBe('completed');
        expect((await readFile(join(s.dir, 'where.txt'), 'utf8')).trim()).toBe(s.dir);
      } finally {
        await s.cleanup();
      }
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      await rm(outer, { recursive: true, force: true });
    }
  });

  it('resumes after kill -9 mid-task: ends the orphaned agent, counts the attempt, reruns it, loses nothing', async () => {
    const s = await tempSprint([
      { id: 'first', command: 'echo one > first.txt' },
      // First attempt: leave a marker and hang; the rerun finds the marker and succeeds.
      {
        id: 'slow',
        dependsOn: ['first'],
        command:
          'if [ -f marker ]; then echo done > slow.txt; else touch marker; echo $$ > agent.pid; sleep 60; fi',
      },
      { id: 'last', dependsOn: ['slow'], command: 'echo three > last.txt' },
    ]);
    try {
      // The sprint's project dir is the sprint's own folder here (no .claude, no git).
      const child = startChild(s.dir);
      const pidFile = join(s.dir, 'agent.pid');
      const agentPid = Number(await childWrote(child, pidFile));
      expect(alive(agentPid)).toBe(true);
      child.kill('SIGKILL');
      const { signal } = await child.output;
      expect(signal).toBe('SIGKILL');
      // The runner died; its agent (own process group) is orphaned but alive.
      expect(alive(agentPid)).toBe(true);
      const progress = parse(await readFile(join(s.dir, 'PROGRESS.yaml'), 'utf8'));
      expect(progress.status).toBe('in-progress');

      const resumed = startChild(s.dir, 'resume');
      const out = await resumed.output;
      const result = JSON.parse(out.stdout.trim().split('\n').at(-1)!);
      expect(result.status).toBe('completed');
      expect(alive(agentPid)).toBe(false);
      const { state } = await new SprintDirectoryStore({ root: s.root }).load(s.id);
      const attempts = state.tasks.slow?.attempts ?? [];
      expect(attempts.map((a) => a.outcome)).toEqual(['interrupted', 'success']);
      expect(attempts[0]?.error?.message).toMatch(
        new RegExp(`orphaned process(es)? \\(pid [^)]*\\b${agentPid}\\b[^)]*\\) ended`),
      );
      expect(state.tasks.first?.attempts).toHaveLength(1);
      for (const f of ['first.txt', 'slow.txt', 'last.txt']) {
        expect((await readFile(join(s.dir, f), 'utf8')).trim().length).toBeGreaterThan(0);
      }
      const final = parse(await readFile(join(s.dir, 'PROGRESS.yaml'), 'utf8'));
      expect(final.status).toBe('completed');
      expect(final.completed.map((t: { id: string }) => t.id)).toEqual(['first', 'slow', 'last']);
    } finally {
      await s.cleanup();
    }
  });

  it('ends a process spawned right before kill -9, whose PID was never logged, on resume', async () => {
    const s = await tempSprint([{ id: 'a' }]);
    try {
      const child = startChild(s.dir, 'run', 'unlogged-spawn');
      const spawned = Number(await childWrote(child, join(s.dir, 'spawned.pid')));
      child.kill('SIGKILL');
      await child.output;
      expect(alive(spawned)).toBe(true);
      const { state } = await s.store.load(s.id);
      expect(state.tasks.a?.attempts.at(-1)?.pid).toBeUndefined();
      const out = await startChild(s.dir, 'resume', 'noop').output;
      expect(JSON.parse(out.stdout.trim().split('\n').at(-1)!).status).toBe('completed');
      expect(alive(spawned)).toBe(false);
    } finally {
      await s.cleanup();
    }
  });

  it("ends a task's verify command left running by kill -9 of the runner, on resume", async () => {
    const s = await tempSprint([
      {
        id: 'a',
        command: 'true',
        // The first verify hangs (its shell and its sleep both carry the marker); the rerun passes.
        verify:
          'if [ -f verified ]; then exit 0; fi; touch verified; echo $$ > verify.pid; sleep 60',
      },
    ]);
    try {
      const child = startChild(s.dir);
      const verifyPid = Number(await childWrote(child, join(s.dir, 'verify.pid')));
      child.kill('SIGKILL');
      await child.output;
      expect(alive(verifyPid)).toBe(true);
      const out = await startChild(s.dir, 'resume').output;
      expect(JSON.parse(out.stdout.trim().split('\n').at(-1)!).status).toBe('completed');
      expect(alive(verifyPid)).toBe(false);
      const { state } = await s.store.load(s.id);
      expect(state.tasks.a?.attempts[0]?.error?.message).toContain(`${verifyPid}`);
    } finally {
      await s.cleanup();
    }
  });

  it('answers a stop within the stop grace when the agent ignores SIGTERM, and kills it', async () => {
    const s = await tempSprint([
      // Ignores SIGTERM (and so does its sleep, which inherits the ignored signal).
      { id: 'a', command: "trap '' TERM; echo $$ > agent.pid; sleep 30; echo late > late.txt" },
    ]);
    try {
      // The agent's own wait between SIGTERM and SIGKILL is a minute: only the runner's 0.5 s
      // stop grace can end the run well before it (on a machine as loaded as it gets).
      const runner = new SprintRunner({
        store: s.store,
        agents: new AgentRegistry({ default: new ShellAgent({ graceMs: 60_000 }) }),
      });
      const run = runner.run(s.id);
      const pid = Number(
        await waitFor(() => readFile(join(s.dir, 'agent.pid'), 'utf8').catch(() => undefined)),
      );
      const t0 = Date.now();
      await runner.stop(s.id);
      const result = await run;
      const took = Date.now() - t0;
      expect(result.status).toBe('paused');
      expect(alive(pid)).toBe(false);
      expect(took).toBeLessThan(30_000);
      const { state } = await s.store.load(s.id);
      expect(state.tasks.a?.status).toBe('pending');
    } finally {
      await s.cleanup();
    }
  });

  it('loses nothing when kill -9 lands at random moments of a fast run', async () => {
    const tasks = Array.from({ length: 25 }, (_, i) => ({
      id: `t${i}`,
      type: 'x',
      command: 'true',
    }));
    // All 25 in one run, past the default max-tasks of 10.
    const s = await tempSprint(tasks, { 'max-tasks': tasks.length });
    try {
      for (const delay of [40, 90, 150]) {
        const child = startChild(s.dir, 'resume', 'noop');
        await new Promise((r) => setTimeout(r, delay));
        child.kill('SIGKILL');
        await child.output;
        // Whatever moment it died, the files parse and the state is consistent.
        const progress = parse(await readFile(join(s.dir, 'PROGRESS.yaml'), 'utf8'));
        expect(['not-started', 'in-progress', 'completed']).toContain(progress.status);
        const { state } = await new SprintDirectoryStore({ root: s.root }).load(s.id);
        const running = Object.values(state.tasks).filter((t) => t.status === 'running');
        expect(running.length).toBeLessThanOrEqual(1);
      }
      // Finish it (a killed run may already have completed it: then there is nothing to run).
      const last = await startChild(s.dir, 'resume', 'noop').output;
      const outcome = JSON.parse(last.stdout.trim().split('\n').at(-1)!);
      expect([outcome.status, outcome.error], last.stdout).toContainEqual(
        outcome.error ? 'SPRINT_FINISHED' : 'completed',
      );
      const { state } = await new SprintDirectoryStore({ root: s.root }).load(s.id);
      expect(Object.values(state.tasks).every((t) => t.status === 'done')).toBe(true);
      // Every task succeeded exactly once.
      for (const t of Object.values(state.tasks)) {
        expect(t.attempts.filter((a) => a.outcome === 'success')).toHaveLength(1);
      }
    } finally {
      await s.cleanup();
    }
  });

  it('lets exactly one of two racing runner processes run a sprint', async () => {
    // The task holds the sprint until the loser has answered, however slow the machine.
    const s = await tempSprint([{ id: 'a', command: 'while [ ! -f go ]; do sleep 0.02; done' }]);
    try {
      const [one, two] = [startChild(s.dir), startChild(s.dir)];
      const loser = await Promise.race([one.output, two.output]);
      expect(loser.stdout).toContain('SPRINT_LOCKED');
      await writeFile(join(s.dir, 'go'), '');
      const outs = await Promise.all([one.output, two.output]);
      const results = outs.map((o) => JSON.parse(o.stdout.trim().split('\n').at(-1)!));
      expect(results.filter((r) => r.status === 'completed')).toHaveLength(1);
      expect(results.filter((r) => r.error === 'SPRINT_LOCKED')).toHaveLength(1);
      const { state } = await s.store.load(s.id);
      expect(state.tasks.a?.attempts).toHaveLength(1);
    } finally {
      await s.cleanup();
    }
  });

  for (const action of ['pause', 'stop', 'cancel'] as const) {
    it(`${action} from another process reaches the running runner and takes effect`, async () => {
      // Long enough that only a stop or cancel that reached the runner ends it early;
      // a pause lets it finish, so it stays short for that one.
      const s = await tempSprint([
        { id: 'a', command: action === 'pause' ? 'sleep 1; echo a' : 'sleep 60; echo a' },
        { id: 'b', command: 'echo b' },
      ]);
      try {
        const child = startChild(s.dir);
        const store = new SprintDirectoryStore({ root: s.root });
        await waitFor(async () => (await store.load(s.id)).state.tasks.a?.status === 'running');
        const here = new SprintRunner({
          store,
          agents: new AgentRegistry({ default: new ShellAgent() }),
        });
        const outcome =
          action === 'cancel' ? await here.cancel(s.id, 'not needed') : await here[action](s.id);
        expect(outcome.outcome).toBe('requested');
        const out = await child.output;
        const result = JSON.parse(out.stdout.trim().split('\n').at(-1)!);
        const { state } = await store.load(s.id);
        if (action === 'pause') {
          expect(result.status).toBe('paused');
          expect(state.tasks.a?.status).toBe('done');
          expect(state.tasks.b?.status).toBe('pending');
        } else {
          expect(result.status).toBe(action === 'stop' ? 'paused' : 'cancelled');
          expect(state.tasks.a?.status).toBe(action === 'stop' ? 'pending' : 'cancelled');
          if (action === 'cancel') expect(state.reason).toBe('not needed');
        }
      } finally {
        await s.cleanup();
      }
    });
  }
});

describe('the event log after kill -9', () => {
  it('replays multi-byte text exactly: nothing finished is lost and no seq is reused', async () => {
    const s = await tempSprint([{ id: 'a' }, { id: 'b' }]);
    try {
      const child = spawn(process.execPath, [
        join(import.meta.dirname, 'fixtures', 'append-then-die.mjs'),
        s.root,
        s.id,
      ]);
      await new Promise((r) => child.on('close', r));
      const store = new SprintDirectoryStore({ root: s.root });
      const { state } = await store.load(s.id);
      expect(state.tasks.a?.status).toBe('done');
      expect(state.tasks.a?.summary).toBe('fertig — ok');
      expect(state.costUsd).toBe(0.5);
      const lock = await store.acquireLock(s.id, {
        pid: process.pid,
        host: 'here',
        runId: 'r2',
        startedAt: '',
      });
      const [next] = await store.append(s.id, [{ type: 'log', level: 'info', message: 'next' }]);
      await lock.release();
      const seqs = (await readFile(join(s.dir, 'events.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('{"sprint-log"'))
        .map((l) => JSON.parse(l).seq);
      expect(next?.seq).toBe(seqs.length);
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(
        parse(await readFile(join(s.dir, 'PROGRESS.yaml'), 'utf8')).completed.map(
          (t: { id: string }) => t.id,
        ),
      ).toEqual(['a']);
    } finally {
      await s.cleanup();
    }
  });
});

describe('a checkpoint behind the log', () => {
  it('is brought up to date by the next command that opens the sprint (kill -9 after `completed` was logged)', async () => {
    const s = await tempSprint([{ id: 'a' }, { id: 'b' }]);
    try {
      const child = spawn(process.execPath, [
        join(import.meta.dirname, 'fixtures', 'complete-then-die.mjs'),
        s.root,
        s.id,
      ]);
      const signal = await new Promise((r) => child.on('close', (_code, sig) => r(sig)));
      expect(signal).toBe('SIGKILL');
      const progressPath = join(s.dir, 'PROGRESS.yaml');
      expect(parse(await readFile(progressPath, 'utf8')).status).toBe('in-progress');
      const { state } = await new SprintDirectoryStore({ root: s.root }).load(s.id);
      expect(state.status).toBe('completed');
      const progress = parse(await readFile(progressPath, 'utf8'));
      expect(progress.status).toBe('completed');
      expect(progress.queue ?? []).toEqual([]);
    } finally {
      await s.cleanup();
    }
  });
});
