import { spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentRegistry } from '../agents/agent-registry.js';
import { SprintRunner } from '../runner/sprint-runner.js';
import { ScriptedAgent } from '../testing/scripted-agent.js';
import { describeSprint } from '../workspace/describe-sprint.js';
import { LOCK_FILE } from './lock-file.js';
import { startRun } from './locked-run.test-support.js';
import { SprintDirectoryStore } from './sprint-directory-store.js';
import { SprintDocumentStore } from './sprint-document-store.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sprint-tamper-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const ID = '2026-02-01_forged';
const tasks = ['a', 'b', 'c'].map((id) => ({
  id,
  type: 'chore',
  priority: 'medium' as const,
  dependsOn: [],
  fields: {},
}));

async function sprint(): Promise<{ store: SprintDirectoryStore; dir: string }> {
  const store = new SprintDirectoryStore({ root });
  const id = await store.create({ name: 'forged', tasks, now: new Date('2026-02-01T10:00:00Z') });
  expect(id).toBe(ID);
  return { store, dir: join(root, ID) };
}

/** What an agent that wants the sprint over without doing the work would append. */
function forgedLines(): string {
  const at = new Date().toISOString();
  const junk = `${'x'.repeat(1000)}\n`.repeat(64);
  const finished = (taskId: string, seq: number) =>
    JSON.stringify({
      type: 'task-finished',
      taskId,
      attempt: 1,
      to: 'done',
      outcome: 'success',
      counted: true,
      seq,
      at,
      sprintId: ID,
    });
  return [
    junk,
    finished('b', 900),
    finished('c', 901),
    JSON.stringify({
      type: 'sprint-status',
      from: 'in-progress',
      to: 'completed',
      seq: 902,
      at,
      sprintId: ID,
    }),
    '',
  ].join('\n');
}

describe('forged history', () => {
  it('quarantines lines a task appends to the log, keeps the true state and records who ran', async () => {
    const { store, dir } = await sprint();
    const agent = new ScriptedAgent('s', {
      a: async () => {
        await appendFile(join(dir, 'events.jsonl'), forgedLines());
        return { success: true, summary: 'did a' };
      },
    });
    const result = await new SprintRunner({
      store,
      agents: new AgentRegistry({ default: agent }),
    }).run(ID);
    // b and c ran for real: the forged `task-finished` lines were not believed.
    expect(agent.calls.map((c) => c.task.id)).toEqual(['a', 'b', 'c']);
    expect(result.status).toBe('completed');
    const snap = await new SprintDirectoryStore({ root }).load(ID);
    expect(snap.state.tasks.b?.attempts).toHaveLength(1);
    expect(snap.state.tampering).toHaveLength(1);
    const t = snap.state.tampering![0]!;
    expect(t).toMatchObject({ file: 'events.jsonl', taskIds: ['a'] });
    // The foreign bytes are kept beside the log, and the log holds none of them.
    const kept = await readFile(join(dir, t.quarantined!), 'utf8');
    expect(kept).toContain('"seq":902');
    const log = await readFile(join(dir, 'events.jsonl'), 'utf8');
    expect(log).not.toContain('xxxx');
    expect(log).not.toContain('"seq":902');
    const report = describeSprint(snap, null);
    expect(report.tampering?.[0]?.taskIds).toEqual(['a']);
  });

  it('never believes forged lines, even when the runner is gone before it could look', async () => {
    const { store, dir } = await sprint();
    // The run is under way (a is running) when the lines land; the runner never appends again.
    const lock = await startRun(store, ID);
    await store.claimTask(ID, { taskId: 'a', agent: 'x', runId: 'r1', host: hostname() });
    await store.flush(ID);
    await appendFile(join(dir, 'events.jsonl'), forgedLines());
    const reader = await new SprintDirectoryStore({ root }).load(ID);
    expect(reader.state.status).toBe('in-progress');
    expect(reader.state.tasks.b?.status).toBe('pending');
    expect(reader.state.tampering?.[0]).toMatchObject({ file: 'events.jsonl', taskIds: ['a'] });
    await lock.release();
  });

  it('keeps its own state when PROGRESS.yaml is rewritten while a task runs', async () => {
    const { store, dir } = await sprint();
    const lock = await startRun(store, ID);
    await store.claimTask(ID, { taskId: 'a', agent: 'x', runId: 'r1', host: hostname() });
    await store.flush(ID);
    const progress = await readFile(join(dir, 'PROGRESS.yaml'), 'utf8');
    const forged = progress.replace(/^status: in-progress/m, 'status: completed');
    expect(forged).not.toBe(progress);
    await writeFile(join(dir, 'PROGRESS.yaml'), forged);
    // A reader (another process's `sprint status`) sees the truth...
    const seen = await new SprintDirectoryStore({ root }).load(ID);
    expect(seen.state.status).toBe('in-progress');
    expect(seen.state.tampering?.[0]).toMatchObject({ file: 'PROGRESS.yaml', taskIds: ['a'] });
    // ...and the runner keeps the foreign file aside and writes its own again.
    await store.append(ID, [{ type: 'log', level: 'info', message: 'tick' }]);
    await store.append(ID, [
      {
        type: 'task-finished',
        taskId: 'a',
        attempt: 1,
        to: 'done',
        outcome: 'success',
        counted: true,
      },
    ]);
    await store.flush(ID);
    await lock.release();
    const after = await new SprintDirectoryStore({ root }).load(ID);
    expect(after.state.status).toBe('in-progress');
    expect(after.state.tampering?.map((t) => t.file)).toEqual(['PROGRESS.yaml']);
    const aside = (await readdir(dir)).filter((f) => f.startsWith('PROGRESS.yaml.foreign-'));
    expect(aside).toHaveLength(1);
    expect(await readFile(join(dir, aside[0]!), 'utf8')).toContain('status: completed');
    expect(await readFile(join(dir, 'PROGRESS.yaml'), 'utf8')).toMatch(/^status: in-progress/m);
  });

  it('keeps its own state when the task that rewrote PROGRESS.yaml started after the last checkpoint and the runner died', async () => {
    const { store, dir } = await sprint();
    const lock = await startRun(store, ID);
    await store.flush(ID); // the checkpoint knows no running task...
    await store.claimTask(ID, { taskId: 'a', agent: 'x', runId: 'r1', host: hostname() });
    // ...a is started (in the log only) and the runner dies: its files as they are now, in
    // another folder, with a lock whose holder is a process that has exited.
    const root2 = await mkdtemp(join(tmpdir(), 'sprint-tamper-dead-'));
    const dead = join(root2, ID);
    cpSync(dir, dead, { recursive: true });
    await lock.release();
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    const lockPath = join(dead, LOCK_FILE);
    await writeFile(
      lockPath,
      (await readFile(lockPath, 'utf8')).replace(/"pid":\d+/, `"pid":${gone}`),
    );
    const progress = await readFile(join(dead, 'PROGRESS.yaml'), 'utf8');
    expect(progress).not.toMatch(/status: running/); // the checkpoint is from before a started
    // What a did before it died: PROGRESS.yaml says the sprint is over.
    await writeFile(
      join(dead, 'PROGRESS.yaml'),
      progress.replace(/^status: in-progress/m, 'status: completed'),
    );
    try {
      // The next reader takes the dead runner's lock to repair the checkpoint: it must not believe the file.
      const seen = await new SprintDirectoryStore({ root: root2 }).load(ID);
      expect(seen.state.status).toBe('in-progress');
      expect(seen.state.tasks.a?.status).toBe('running');
      expect(seen.state.tampering?.map((t) => t.file)).toEqual(['PROGRESS.yaml']);
      expect(await readFile(join(dead, 'PROGRESS.yaml'), 'utf8')).toMatch(/^status: in-progress/m);
    } finally {
      await rm(root2, { recursive: true, force: true });
    }
  });

  it("does not believe a state.json the runner did not sign, but takes a person's PROGRESS.yaml edit between runs", async () => {
    const { store, dir } = await sprint();
    await new SprintRunner({
      store,
      agents: new AgentRegistry({ default: new ScriptedAgent('s') }),
    }).run(ID);
    const snapText = await readFile(join(dir, 'state.json'), 'utf8');
    expect(snapText.startsWith('{"signed":1,')).toBe(true);
    await writeFile(
      join(dir, 'state.json'),
      snapText.replace('"name":"forged"', '"name":"from the snapshot"'),
    );
    const loaded = await new SprintDirectoryStore({ root }).load(ID);
    expect(loaded.definition.name).toBe('forged');
    expect(loaded.state.tampering?.[0]?.file).toBe('state.json');
  });

  it('ignores a control request nobody made through the store, and says so', async () => {
    const { store, dir } = await sprint();
    const agent = new ScriptedAgent('s', {
      a: async () => {
        await writeFile(
          join(dir, 'control.json'),
          JSON.stringify({
            action: 'cancel',
            reason: 'forged',
            requestedAt: new Date().toISOString(),
          }),
        );
        // Wait until the runner has taken the request (it polls), then finish.
        const until = Date.now() + 20_000;
        while ((await readdir(dir)).includes('control.json') && Date.now() < until)
          await new Promise((r) => setTimeout(r, 20));
        return { success: true };
      },
    });
    const result = await new SprintRunner({
      store,
      agents: new AgentRegistry({ default: agent }),
    }).run(ID);
    expect(result.status).toBe('completed');
    const snap = await store.load(ID);
    expect(snap.state.tampering?.[0]).toMatchObject({ file: 'control.json' });
  });

  it('signs the sidecar of a Markdown document', async () => {
    const docs = join(root, 'docs');
    await mkdir(docs);
    await writeFile(
      join(docs, 'plan.md'),
      '---\ntitle: Plan\nstatus: todo\n---\n\n# Plan\n\n## Tasks\n\n### Phase 2: Implementation\n- [ ] One <!-- id: one -->\n- [ ] Two <!-- id: two -->\n',
    );
    const store = new SprintDocumentStore({ root: docs });
    const agent = new ScriptedAgent('s', {
      one: async () => {
        await appendFile(
          join(docs, '.plan.sprint', 'events.jsonl'),
          `${JSON.stringify({ type: 'task-finished', taskId: 'two', attempt: 1, to: 'done', outcome: 'success', counted: true, seq: 500, at: new Date().toISOString(), sprintId: 'plan' })}\n`,
        );
        return { success: true };
      },
    });
    await new SprintRunner({ store, agents: new AgentRegistry({ default: agent }) }).run('plan');
    expect(agent.calls.map((c) => c.task.id)).toEqual(['one', 'two']);
    const sidecar = await readFile(join(docs, '.plan.sprint', 'state.json'), 'utf8');
    expect(sidecar.startsWith('{"signed":1,')).toBe(true);
    const snap = await new SprintDocumentStore({ root: docs }).load('plan');
    expect(snap.state.tampering?.[0]).toMatchObject({ file: 'events.jsonl', taskIds: ['one'] });
  });
});
