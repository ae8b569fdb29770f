import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentRegistry } from '../agents/agent-registry.js';
import { SprintRunner } from '../runner/sprint-runner.js';
import { ScriptedAgent } from '../testing/scripted-agent.js';
import { startRun } from './locked-run.test-support.js';
import { judgeLog, type LogFacts, type LogRecord } from './log-record.js';
import { SprintDirectoryStore } from './sprint-directory-store.js';
import { SprintDocumentStore } from './sprint-document-store.js';
import { ownStateHome } from './state-home.test-support.js';

describe('judgeLog', () => {
  const record: LogRecord = {
    dir: '/p/.claude/sprints/s',
    key: 'k'.repeat(24),
    offset: 500,
    mac: 'm'.repeat(32),
    seq: 9,
    status: 'in-progress',
    running: ['a'],
  };
  const same: LogFacts = { size: 500, key: record.key, macAt: record.mac };
  it.each<[string, LogFacts | null, RegExp | null]>([
    ['the log as recorded', same, null],
    [
      'the log grown past the record (a crash before the next record)',
      { ...same, size: 9000 },
      null,
    ],
    ['no log', null, /the log is gone \(the runner had written it up to event 9\)/],
    ['a log keyed with another key', { ...same, key: 'o'.repeat(24) }, /another key/],
    ['a log without a key', { ...same, key: null }, /without the runner's key/],
    ['a shorter log', { ...same, size: 120, macAt: null }, /120 bytes, shorter than the 500/],
    ['other bytes up to the record', { ...same, macAt: 'x'.repeat(32) }, /first 500 bytes/],
  ])('%s', (_, facts, expected) => {
    const found = judgeLog(record, facts);
    if (expected === null) expect(found).toBeNull();
    else expect(found).toMatch(expected);
  });
});

const tasks = ['a', 'b', 'c'].map((id) => ({
  id,
  type: 'chore',
  priority: 'medium' as const,
  dependsOn: [],
  fields: {},
}));

// Keys and records of this file's sprints in a home of their own.
const stateHome = ownStateHome();
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sprint-lost-log-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const ID = '2026-03-01_lost';

async function sprint(at = root, name = 'lost'): Promise<{ id: string; dir: string }> {
  const store = new SprintDirectoryStore({ root: at });
  const id = await store.create({ name, tasks, now: new Date('2026-03-01T10:00:00Z') });
  return { id, dir: join(at, id) };
}

/** The sprint left as a killed run leaves it: in progress, task a running, the lock released. */
async function interruptedWithARunning(): Promise<string> {
  const { dir } = await sprint();
  const store = new SprintDirectoryStore({ root });
  const lock = await startRun(store, ID);
  await store.claimTask(ID, { taskId: 'a', agent: 'x', runId: 'r1', host: hostname() });
  await lock.release();
  return dir;
}

/** What an agent that wants the sprint over would leave: no log, no state.json, PROGRESS.yaml "all done". */
async function forgeAllDone(dir: string): Promise<void> {
  await rm(join(dir, 'events.jsonl'));
  await rm(join(dir, 'state.json'));
  const progress = await readFile(join(dir, 'PROGRESS.yaml'), 'utf8');
  const forged = progress
    .replace(/^status: in-progress/m, 'status: completed')
    .replace(/^status: paused/m, 'status: completed');
  expect(forged).not.toBe(progress);
  await writeFile(join(dir, 'PROGRESS.yaml'), forged);
}

function run(store: SprintDirectoryStore, id = ID, options: { maxTasks?: number } = {}) {
  const agent = new ScriptedAgent('s');
  const runner = new SprintRunner({ store, agents: new AgentRegistry({ default: agent }) });
  return { agent, result: runner.run(id, options) };
}

describe('a log the runner no longer has', () => {
  it('keeps its record outside the project, beside the keys', async () => {
    await interruptedWithARunning();
    const [file] = await readdir(join(stateHome(), 'logs'));
    const record = JSON.parse(await readFile(join(stateHome(), 'logs', file!), 'utf8'));
    expect(record).toMatchObject({ status: 'in-progress', running: ['a'] });
    expect(record.dir).toMatch(/2026-03-01_lost$/);
  });

  it('a deleted log and state.json with a forged PROGRESS.yaml: not completed, tampering naming the running task, no run', async () => {
    const dir = await interruptedWithARunning();
    await forgeAllDone(dir);
    const before = (await readdir(dir)).sort();
    const seen = await new SprintDirectoryStore({ root }).load(ID);
    expect(seen.state.status).toBe('in-progress');
    expect(seen.logLost).toMatch(/the log is gone/);
    expect(seen.state.tampering).toHaveLength(1);
    expect(seen.state.tampering![0]).toMatchObject({ file: 'events.jsonl', taskIds: ['a'] });
    expect(seen.state.tampering![0]!.detail).toContain('--trust-files');
    const store = new SprintDirectoryStore({ root });
    expect(await store.loadOverview(ID)).toBeUndefined();
    // Neither a run nor anything else that takes the lock proceeds on what is left...
    await expect(run(store).result).rejects.toMatchObject({ code: 'LOG_LOST' });
    await expect(store.addTasks(ID, [{ ...tasks[0]!, id: 'd' }])).rejects.toMatchObject({
      code: 'LOG_LOST',
    });
    // ...and nothing changed on disk.
    expect((await readdir(dir)).sort()).toEqual(before);
  });

  it('trusting the files starts from PROGRESS.yaml as it is, and the history says so', async () => {
    const dir = await interruptedWithARunning();
    await forgeAllDone(dir);
    const store = new SprintDirectoryStore({ root });
    expect(await store.trustFiles(ID)).toBe(true);
    const after = await store.load(ID);
    expect(after.logLost).toBeUndefined();
    expect(after.state.status).toBe('completed');
    expect(after.state.tampering?.[0]?.detail).toMatch(/gone.*trusted as they are, as asked/);
    expect(after.state.tampering?.[0]?.taskIds).toEqual(['a']);
    // Trusted once: a sprint like any other.
    expect(await store.trustFiles(ID)).toBe(false);
    expect((await new SprintDirectoryStore({ root }).load(ID)).state.tampering).toHaveLength(1);
  });

  it("a log replaced by another sprint's (another key): not believed; with the runner's checkpoint left, the run goes on from it", async () => {
    const store = new SprintDirectoryStore({ root });
    const other = await sprint(root, 'other');
    await run(store, other.id).result; // completed: its log ends in `completed`
    const { dir } = await sprint();
    expect((await run(store, ID, { maxTasks: 1 }).result).status).toBe('paused');
    await cp(join(other.dir, 'events.jsonl'), join(dir, 'events.jsonl'));
    const withCheckpoint = await new SprintDirectoryStore({ root }).load(ID);
    expect(withCheckpoint.state.status).toBe('paused');
    expect(withCheckpoint.state.tampering?.[0]?.detail).toMatch(/another key.*last checkpoint/);
    const { agent, result } = run(new SprintDirectoryStore({ root }));
    expect((await result).status).toBe('completed');
    expect(agent.calls.map((c) => c.task.id)).toEqual(['b', 'c']);
    expect((await readdir(dir)).some((f) => f.startsWith('events.jsonl.foreign-'))).toBe(true);

    // Without the checkpoint: what is left is not the runner's.
    const again = await sprint(root, 'again');
    expect((await run(store, again.id, { maxTasks: 1 }).result).status).toBe('paused');
    await cp(join(other.dir, 'events.jsonl'), join(again.dir, 'events.jsonl'));
    await rm(join(again.dir, 'state.json'));
    const left = await new SprintDirectoryStore({ root }).load(again.id);
    expect(left.state.status).toBe('paused');
    expect(left.logLost).toMatch(/another key/);
  });

  it('a log put back to an older copy of itself is found out', async () => {
    const { dir } = await sprint();
    const store = new SprintDirectoryStore({ root });
    expect((await run(store, ID, { maxTasks: 1 }).result).status).toBe('paused');
    const older = await readFile(join(dir, 'events.jsonl'));
    expect((await run(store, ID, { maxTasks: 1 }).result).status).toBe('paused');
    await writeFile(join(dir, 'events.jsonl'), older);
    await rm(join(dir, 'state.json'));
    const seen = await new SprintDirectoryStore({ root }).load(ID);
    expect(seen.logLost).toMatch(/shorter than/);
  });

  it('no alarm for a log that grew past the record (the runner died before its next checkpoint)', async () => {
    await sprint();
    const store = new SprintDirectoryStore({ root });
    const lock = await startRun(store, ID);
    await store.flush(ID);
    for (let i = 0; i < 20; i++)
      await store.append(ID, [{ type: 'log', level: 'info', message: `${i}` }]);
    const seen = await new SprintDirectoryStore({ root }).load(ID);
    expect(seen.state.tampering).toBeUndefined();
    expect(seen.logLost).toBeUndefined();
    await lock.release();
  });

  it('no alarm for a new sprint created where a removed one was, nor for a copy elsewhere', async () => {
    const { dir } = await sprint();
    const store = new SprintDirectoryStore({ root });
    expect((await run(store, ID, { maxTasks: 1 }).result).status).toBe('paused');
    // A copy at another path has no record there: it is a sprint of its own.
    const elsewhere = await mkdtemp(join(tmpdir(), 'sprint-lost-log-copy-'));
    try {
      await cp(dir, join(elsewhere, ID), { recursive: true });
      const copy = new SprintDirectoryStore({ root: elsewhere });
      expect((await copy.load(ID)).state.tampering).toBeUndefined();
      expect((await run(copy).result).status).toBe('completed');
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
    expect((await new SprintDirectoryStore({ root }).load(ID)).state.tampering).toBeUndefined();
    // Removed by its owner, and created again at the same path.
    await rm(dir, { recursive: true });
    await sprint();
    const fresh = await new SprintDirectoryStore({ root }).load(ID);
    expect(fresh.state.tampering).toBeUndefined();
    expect(fresh.state.status).toBe('not-started');
    expect((await run(new SprintDirectoryStore({ root })).result).status).toBe('completed');
  });
});

describe('a Markdown document whose sidecar folder is gone', () => {
  it('ticked boxes alone do not finish the sprint; trusting the document does', async () => {
    const docs = join(root, 'docs');
    await mkdir(docs);
    const doc = join(docs, 'plan.md');
    await writeFile(
      doc,
      '---\ntitle: Plan\nstatus: todo\n---\n\n# Plan\n\n## Tasks\n\n### Phase 1: Work\n- [ ] One <!-- id: one -->\n- [ ] Two <!-- id: two -->\n',
    );
    const store = new SprintDocumentStore({ root: docs });
    const agents = new AgentRegistry({ default: new ScriptedAgent('s') });
    const first = await new SprintRunner({ store, agents }).run('plan', { maxTasks: 1 });
    expect(first.status).toBe('paused');
    await rm(join(docs, '.plan.sprint'), { recursive: true });
    await writeFile(doc, (await readFile(doc, 'utf8')).replace('- [ ] Two', '- [x] Two'));
    const seen = await new SprintDocumentStore({ root: docs }).load('plan');
    expect(seen.state.status).toBe('paused');
    expect(seen.logLost).toMatch(/the log is gone/);
    await expect(
      new SprintRunner({ store: new SprintDocumentStore({ root: docs }), agents }).run('plan'),
    ).rejects.toMatchObject({ code: 'LOG_LOST' });
    expect(await new SprintDocumentStore({ root: docs }).trustFiles('plan')).toBe(true);
    const trusted = await new SprintDocumentStore({ root: docs }).load('plan');
    expect(trusted.logLost).toBeUndefined();
    expect(trusted.state.tasks.two?.status).toBe('done');
  });
});
