import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { openDatabase, PostgresStore } from '@sprint/store-postgres';
import { afterEach, describe, expect, it } from 'vitest';
import {
  processAlive,
  processesWith,
  runCli,
  shellSprint,
  startCli,
  tempDir,
  waitUntil,
} from './helpers.js';

const server = process.env.SPRINT_TEST_DATABASE_URL;

function database(): NodeJS.ProcessEnv {
  const schema = `cliwr_${process.pid}_${randomBytes(4).toString('hex')}`;
  afterEach(async () => {
    const db = await openDatabase(server ?? '');
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.query(`DROP SCHEMA IF EXISTS "${schema}_boss" CASCADE`);
    await db.close();
  });
  return { SPRINT_DATABASE_URL: server, SPRINT_DATABASE_SCHEMA: schema };
}

function gitIn(cwd: string, args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@t',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@t',
    },
  });
}

/** A bare repository on disk with one commit on main (a README and `files`): the shared remote. */
function sharedRemote(cwd: string, files: Record<string, string> = {}): string {
  const seed = join(cwd, 'seed');
  execFileSync('git', ['init', '-q', '-b', 'main', seed]);
  writeFileSync(join(seed, 'README.md'), '# project\n');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(seed, name), text);
  gitIn(seed, ['add', '-A']);
  gitIn(seed, ['commit', '-q', '-m', 'start']);
  const bare = join(cwd, 'remote.git');
  execFileSync('git', ['clone', '-q', '--bare', seed, bare]);
  return bare;
}

/** The commits on the integrated branch, newest first, as `task-id` per commit (from the trailer). */
function integratedTasks(bare: string, sprintId: string): string[] {
  return gitIn(bare, [
    'log',
    '--format=%(trailers:key=Sprint-Task,valueonly)',
    `sprint/${sprintId}`,
    '--not',
    'main',
  ])
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((t) => t.split('/').pop() ?? t);
}

// Worker processes share a database, so these need a PostgreSQL server (PGlite is one process's).
describe.runIf(server)('sprint worker --repo: clones, task branches, one integrator', () => {
  it('3 workers, each in its own clone, integrate every task once onto sprint/<id> in the remote', async () => {
    const cwd = tempDir();
    const env = database();
    const bare = sharedRemote(cwd);
    const tasks = Array.from({ length: 9 }, (_, i) => ({
      id: `t${i}`,
      // t3..t8 need the work of the task three before them: it is there only if it was integrated first.
      command:
        i >= 3
          ? `test -f t${i - 3}.txt && echo "t${i} after $(cat t${i - 3}.txt)" > t${i}.txt`
          : `echo t${i} > t${i}.txt`,
      dependsOn: i >= 3 ? [`t${i - 3}`] : undefined,
    }));
    const dir = shellSprint(join(cwd, 'sprints'), 'repo', tasks);
    expect((await runCli(['push', dir], { cwd, env })).code).toBe(0);
    const workers = [1, 2, 3].map((n) =>
      startCli(['worker', '--name', `w${n}`, '--agents', 'shell', '--repo', bare], { cwd, env }),
    );
    for (const w of workers) await w.waitForOutput(/runs shell tasks .* in its clone/, 60_000);
    const run = startCli(['run', '2026-01-15_repo', '--workers', '--concurrency', '3'], {
      cwd,
      env,
    });
    const ended = await run.done(300_000);
    expect(ended.code, ended.stderr + ended.stdout).toBe(0);
    const landed = integratedTasks(bare, '2026-01-15_repo');
    expect([...landed].sort()).toEqual(tasks.map((t) => t.id).sort());
    for (let i = 0; i < 9; i++) {
      const text = gitIn(bare, ['show', `sprint/2026-01-15_repo:t${i}.txt`]).trim();
      expect(text).toBe(
        i >= 3 ? `t${i} after ${i >= 6 ? `t${i - 3} after t${i - 6}` : `t${i - 3}`}` : `t${i}`,
      );
    }
    // Each task branch was pushed, and deleted once integrated: the remote keeps none, as a local run.
    expect(gitIn(bare, ['branch', '--list', 'sprint-task/*'])).toBe('');
    for (const n of [1, 2, 3])
      expect(existsSync(join(cwd, '.sprint-worker', `w${n}`, '.git'))).toBe(true);
    for (const w of workers) {
      w.child.kill('SIGTERM');
      expect((await w.done(60_000)).code).toBe(0);
    }
  }, 420_000);

  it('a task whose work conflicts twice with integrated work asks a person, as a local worktree run does', async () => {
    const cwd = tempDir();
    const env = database();
    const bare = sharedRemote(cwd, { 'shared.txt': 'one\ntwo\nthree\n' });
    const id = '2026-01-15_clash';
    const scratch = join(cwd, 'scratch');
    mkdirSync(scratch);
    const dir = shellSprint(join(cwd, 'sprints'), 'clash', [
      {
        id: 'first',
        // Starts once second started, so both begin on the same head.
        command: `until [ -e ${scratch}/started-1 ]; do sleep 0.05; done; sed -i 's/^two$/two by first/' shared.txt`,
      },
      {
        id: 'second',
        // Attempt n waits for go-n (the test sends it once a clashing change is on the integrated branch).
        command: `n=$(($(cat ${scratch}/n 2>/dev/null || echo 0)+1)); echo $n > ${scratch}/n; touch ${scratch}/started-$n; until [ -e ${scratch}/go-$n ]; do sleep 0.05; done; sed -i 's/^two.*$/two by second/' shared.txt`,
      },
    ]);
    expect((await runCli(['push', dir], { cwd, env })).code).toBe(0);
    const workers = [1, 2].map((n) =>
      startCli(['worker', '--name', `c${n}`, '--agents', 'shell', '--repo', bare], { cwd, env }),
    );
    for (const w of workers) await w.waitForOutput(/in its clone/, 60_000);
    const run = startCli(['run', id, '--workers', '--concurrency', '2'], { cwd, env });
    const onBranch = () =>
      execFileSync('git', ['--git-dir', bare, 'show', `sprint/${id}:shared.txt`], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    // Attempt 1 of second: first's edit of the same line is integrated meanwhile.
    await waitUntil(
      () => {
        try {
          return onBranch().includes('two by first');
        } catch {
          return false; // no integrated branch yet
        }
      },
      180_000,
      'first to be integrated',
    );
    writeFileSync(join(scratch, 'go-1'), '');
    // Attempt 2 (on the new head, uncounted): a person pushes another edit of that line meanwhile.
    await waitUntil(() => existsSync(join(scratch, 'started-2')), 180_000, 'the second attempt');
    const user = join(cwd, 'user');
    gitIn(cwd, ['clone', '-q', '-b', `sprint/${id}`, bare, user]);
    writeFileSync(join(user, 'shared.txt'), 'one\ntwo by user\nthree\n');
    gitIn(user, ['commit', '-q', '-am', 'user edit']);
    gitIn(user, ['push', '-q', 'origin', `sprint/${id}`]);
    writeFileSync(join(scratch, 'go-2'), '');
    const ended = await run.done(300_000);
    expect(ended.code, ended.stderr + ended.stdout).toBe(2); // needs-human
    const status = JSON.parse((await runCli(['status', id, '--json'], { cwd, env })).stdout);
    expect(status.status).toBe('needs-human');
    expect(status.humanNeeded.reason).toContain('second conflicted with integrated work twice');
    expect(status.humanNeeded.reason).toContain(`branch sprint-task/${id}/second-2 of ${bare}`);
    expect(status.humanNeeded.details).toContain('shared.txt');
    const db = await openDatabase(server ?? '');
    const store = await PostgresStore.open({ db, schema: env.SPRINT_DATABASE_SCHEMA });
    const attempts = (await store.load(id)).state.tasks.second?.attempts ?? [];
    await store.close();
    await db.close();
    // The first conflict reran on the new head, uncounted; the second asked a person.
    expect(attempts.map((a) => [a.outcome, a.error?.kind, a.counted])).toEqual([
      ['failed', 'conflict', false],
      ['needs-human', 'blocked', true],
    ]);
    // The integrated branch holds first's and the user's work, nothing of second; its work waits on its branch.
    expect(onBranch()).toBe('one\ntwo by user\nthree\n');
    expect(integratedTasks(bare, id)).toEqual(['first']);
    expect(gitIn(bare, ['show', `sprint-task/${id}/second-2:shared.txt`])).toBe(
      'one\ntwo by second\nthree\n',
    );
    for (const w of workers) {
      w.child.kill('SIGTERM');
      expect((await w.done(60_000)).code).toBe(0);
    }
  }, 480_000);

  it("a task's step hooks (verify) run on its worker, in the task's worktree of the worker's clone", async () => {
    const cwd = tempDir();
    const env = database();
    const bare = sharedRemote(cwd);
    const id = '2026-01-15_hooks';
    const ran = join(cwd, 'verify-ran-in');
    const tasks = ['h0', 'h1', 'h2'].map((t) => ({
      id: t,
      command: `echo ${t} > ${t}.txt`,
      // Passes only where the agent worked: the file is in the task's worktree, nowhere else.
      verify: `test -f ${t}.txt && pwd >> ${ran}`,
    }));
    const dir = shellSprint(join(cwd, 'sprints'), 'hooks', tasks);
    expect((await runCli(['push', dir], { cwd, env })).code).toBe(0);
    const worker = startCli(['worker', '--name', 'hk', '--agents', 'shell', '--repo', bare], {
      cwd,
      env,
    });
    await worker.waitForOutput(/in its clone/, 60_000);
    const ended = await runCli(['run', id, '--workers'], { cwd, env, timeoutMs: 300_000 });
    expect(ended.code, ended.stderr + ended.stdout).toBe(0);
    const dirs = readFileSync(ran, 'utf8').trim().split('\n');
    expect(dirs).toHaveLength(3);
    for (const d of dirs) expect(d.startsWith(join(cwd, '.sprint-worker', 'hk'))).toBe(true);
    expect(new Set(dirs).size).toBe(3); // a worktree per task
    const logs = await runCli(['logs', id, '--json'], { cwd, env });
    const verified = logs.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((e) => e.type === 'hook' && e.hook === 'verify');
    expect(verified.map((e) => [e.taskId, e.passed]).sort()).toEqual([
      ['h0', true],
      ['h1', true],
      ['h2', true],
    ]);
    expect([...integratedTasks(bare, id)].sort()).toEqual(['h0', 'h1', 'h2']);
    worker.child.kill('SIGTERM');
    expect((await worker.done(60_000)).code).toBe(0);
  }, 420_000);

  it('kill -9 of the integrator mid-integration: another worker takes the lease and finishes, nothing twice', async () => {
    const cwd = tempDir();
    const env = database();
    const bare = sharedRemote(cwd);
    const hang = `sleep ${(Math.random() * 1000 + 900).toFixed(3)}`;
    const once = join(cwd, 'verify-started');
    // The first integration's verify records its shell and hangs; every later one passes.
    const verify = `if [ ! -f ${once} ]; then echo $$ > ${once}; ${hang}; fi; true`;
    const tasks = Array.from({ length: 4 }, (_, i) => ({
      id: `k${i}`,
      command: `echo k${i} > k${i}.txt`,
    }));
    const dir = shellSprint(join(cwd, 'sprints'), 'integrator', tasks);
    expect((await runCli(['push', dir], { cwd, env })).code).toBe(0);
    const start = (n: number) =>
      startCli(
        [
          'worker',
          '--name',
          `i${n}`,
          '--agents',
          'shell',
          '--repo',
          bare,
          '--merge-verify',
          verify,
          '--integration-lease-ms',
          '3000',
        ],
        { cwd, env },
      );
    const workers = [start(1), start(2)];
    for (const w of workers) await w.waitForOutput(/in its clone/, 60_000);
    const run = startCli(['run', '2026-01-15_integrator', '--workers', '--concurrency', '2'], {
      cwd,
      env,
    });
    try {
      const shell = Number(
        await waitUntil(
          () => existsSync(once) && readFileSync(once, 'utf8').trim(),
          180_000,
          'the first integration to verify',
        ),
      );
      const integratorPid = Number(
        execFileSync('ps', ['-o', 'ppid=', '-p', String(shell)], { encoding: 'utf8' }).trim(),
      );
      const victim = workers.find((w) => w.child.pid === integratorPid);
      expect(victim, `integrator pid ${integratorPid}`).toBeDefined();
      victim!.child.kill('SIGKILL');
      const ended = await run.done(300_000);
      expect(ended.code, ended.stderr + ended.stdout).toBe(0);
      const landed = integratedTasks(bare, '2026-01-15_integrator');
      expect([...landed].sort()).toEqual(['k0', 'k1', 'k2', 'k3']);
      for (const t of tasks) {
        expect(gitIn(bare, ['show', `sprint/2026-01-15_integrator:${t.id}.txt`]).trim()).toBe(t.id);
      }
      const survivor = workers.find((w) => w !== victim)!;
      survivor.child.kill('SIGTERM');
      expect((await survivor.done(60_000)).code).toBe(0);
    } finally {
      for (const pid of processesWith(hang)) process.kill(pid, 'SIGKILL');
    }
  }, 480_000);

  it('a worker is named after its machine: a second beside it gets -2; killed with -9, it comes back under that name and ends the agent it left running', async () => {
    const cwd = tempDir();
    const env = database();
    const host = hostname();
    const hang = `sleep ${(Math.random() * 1000 + 1100).toFixed(3)}`;
    const started = join(cwd, 'started');
    const dir = shellSprint(join(cwd, 'sprints'), 'orphan', [
      { id: 'slow', command: `echo $$ >> ${started}; ${hang}` },
    ]);
    expect((await runCli(['push', dir], { cwd, env })).code).toBe(0);
    const first = startCli(['worker', '--agents', 'shell'], { cwd, env });
    await first.waitForOutput(`Worker ${host} runs shell tasks`, 60_000);
    const run = startCli(['run', '2026-01-15_orphan', '--workers'], { cwd, env });
    const others: ReturnType<typeof startCli>[] = [];
    try {
      const shell = Number(
        await waitUntil(
          () => existsSync(started) && readFileSync(started, 'utf8').trim().split('\n')[0],
          120_000,
          'the agent to start',
        ),
      );
      const orphans = processesWith(hang);
      expect(orphans.length).toBeGreaterThan(0);
      // The machine's name is held by a live worker: the next one beside it is -2.
      const beside = startCli(['worker', '--agents', 'shell'], { cwd, env });
      others.push(beside);
      await beside.waitForOutput(`Worker ${host}-2 runs shell tasks`, 60_000);
      first.child.kill('SIGKILL');
      await first.done(30_000);
      // Killed with -9, the worker could end nothing: its agent lives on.
      expect(processAlive(shell)).toBe(true);
      const again = startCli(['worker', '--agents', 'shell'], { cwd, env });
      others.push(again);
      await again.waitForOutput(`Worker ${host} runs shell tasks`, 60_000);
      expect(again.stderr).toMatch(
        new RegExp(`Ended \\d+ process\\(es\\) a previous ${host} left running`),
      );
      await waitUntil(() => !processAlive(shell), 30_000, 'the orphaned agent to end');
      for (const pid of orphans) expect(processAlive(pid), `pid ${pid}`).toBe(false);
      run.child.kill('SIGTERM');
      await run.done(60_000);
      for (const w of others) {
        w.child.kill('SIGTERM');
        await w.done(60_000);
      }
    } finally {
      for (const pid of processesWith(hang)) process.kill(pid, 'SIGKILL');
    }
  }, 300_000);

  it('killed with -9 mid-task and started again in the same folder, a worker clears its clone; the remote keeps no task branch', async () => {
    const cwd = tempDir();
    const env = database();
    const bare = sharedRemote(cwd);
    const id = '2026-01-15_leftovers';
    const hang = `sleep ${(Math.random() * 1000 + 1300).toFixed(3)}`;
    const tried = join(cwd, 'tried');
    const dir = shellSprint(join(cwd, 'sprints'), 'leftovers', [
      { id: 'quick', command: 'echo quick > quick.txt' },
      {
        id: 'slow',
        // The first attempt writes half its work and hangs; the retry finishes.
        command: `echo half > slow.txt; if [ ! -f ${tried} ]; then touch ${tried}; ${hang}; fi; echo done > slow.txt`,
        dependsOn: ['quick'],
      },
    ]);
    expect((await runCli(['push', dir], { cwd, env })).code).toBe(0);
    const args = ['worker', '--name', 'lo', '--agents', 'shell', '--repo', bare];
    const first = startCli(args, { cwd, env });
    await first.waitForOutput(/in its clone/, 60_000);
    const run = startCli(['run', id, '--workers'], { cwd, env });
    const clone = join(cwd, '.sprint-worker', 'lo');
    try {
      await waitUntil(() => existsSync(tried), 180_000, 'the first attempt of slow');
      first.child.kill('SIGKILL');
      await first.done(30_000);
      expect(gitIn(clone, ['branch', '--list', 'sprint-task/*'])).toContain('slow-1');
      const again = startCli(args, { cwd, env });
      await again.waitForOutput(/in its clone/, 60_000);
      expect(again.stderr).toContain(
        `Removed 1 worktree(s) and branch(es) a previous lo left in its clone (sprint-task/${id}/slow-1)`,
      );
      const ended = await run.done(300_000);
      expect(ended.code, ended.stderr + ended.stdout).toBe(0);
      expect(gitIn(bare, ['show', `sprint/${id}:slow.txt`]).trim()).toBe('done');
      expect(gitIn(bare, ['show', `sprint/${id}:quick.txt`]).trim()).toBe('quick');
      // Nothing of any attempt is left: no worktree in the clone, no task branch here or in the remote.
      const worktrees = gitIn(clone, ['worktree', 'list', '--porcelain'])
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('worktree '));
      expect(worktrees).toEqual([`worktree ${clone}`]);
      expect(gitIn(clone, ['for-each-ref', 'refs/heads/sprint-task/']).trim()).toBe('');
      expect(gitIn(bare, ['branch', '--list', 'sprint-task/*']).trim()).toBe('');
      expect(readFileSync(join(clone, 'README.md'), 'utf8')).toBe('# project\n');
      again.child.kill('SIGTERM');
      expect((await again.done(60_000)).code).toBe(0);
    } finally {
      for (const pid of processesWith(hang)) process.kill(pid, 'SIGKILL');
    }
  }, 420_000);
});

describe.runIf(server)('sprint worker: one live worker per clone', () => {
  it('a second worker on a held --clone-dir refuses with 75 before it connects, naming the folder and holder; after kill -9 of the holder the next one starts there', async () => {
    const cwd = tempDir();
    const env = database();
    const bare = sharedRemote(cwd);
    const clone = join(cwd, 'clones', 'shared');
    const args = (name: string, dir: string) => [
      'worker',
      '--name',
      name,
      '--agents',
      'shell',
      '--repo',
      bare,
      '--clone-dir',
      dir,
    ];
    const first = startCli(args('one', clone), { cwd, env });
    await first.waitForOutput(/in its clone/, 60_000);
    const before = gitIn(clone, ['for-each-ref']) + gitIn(clone, ['worktree', 'list']);
    const lock = readFileSync(`${clone}.lock`, 'utf8');
    // The same folder by another spelling, and a database that cannot be reached: it must
    // refuse over the clone before it tries to connect (that would be exit 69).
    const second = await runCli(
      [...args('two', 'clones/../clones/shared'), '--database-url', 'postgres://127.0.0.1:1/none'],
      { cwd, env },
    );
    expect(second.code, second.stderr).toBe(75);
    expect(second.stderr).toContain(`The clone ${clone} is held by another live worker`);
    expect(second.stderr).toContain(`pid ${first.child.pid} on ${hostname()}`);
    expect(second.stderr).toContain('another --clone-dir, or stop that worker');
    expect(second.stderr).not.toMatch(/could not be reached|ECONNREFUSED/i);
    // Nothing of the holder's was touched.
    expect(gitIn(clone, ['for-each-ref']) + gitIn(clone, ['worktree', 'list'])).toBe(before);
    expect(readFileSync(`${clone}.lock`, 'utf8')).toBe(lock);
    expect(first.child.exitCode).toBeNull();
    // Killed with -9 it keeps nothing: the next worker takes its dead lock over at once.
    first.child.kill('SIGKILL');
    await first.done(30_000);
    const third = startCli(args('three', clone), { cwd, env });
    await third.waitForOutput(/in its clone/, 60_000);
    expect(readFileSync(`${clone}.lock`, 'utf8')).toContain(`"pid":${third.child.pid},`);
    third.child.kill('SIGTERM');
    expect((await third.done(60_000)).code).toBe(0);
    // Released as it stopped.
    expect(existsSync(`${clone}.lock`)).toBe(false);
  }, 300_000);
});

describe.runIf(server)('sprint worker: an orphaned merge verify', () => {
  const verifyOnce = (cwd: string) => {
    const once = join(cwd, 'verify-pid');
    // The first merge verify blocks until it is ended (its pid recorded); every later one passes.
    return {
      once,
      verify: `if [ ! -f ${once} ]; then echo $$ > ${once}; exec tail -f /dev/null; fi; true`,
    };
  };

  it('kill -9 of the integrator mid merge-verify: the worker that takes the lease over ends the orphaned verify', async () => {
    const cwd = tempDir();
    const env = database();
    const bare = sharedRemote(cwd);
    const { once, verify } = verifyOnce(cwd);
    const dir = shellSprint(join(cwd, 'sprints'), 'orphanverify', [
      { id: 'v', command: 'echo v > v.txt' },
    ]);
    expect((await runCli(['push', dir], { cwd, env })).code).toBe(0);
    const start = (n: number) =>
      startCli(
        [
          'worker',
          '--name',
          `ov${n}`,
          '--agents',
          'shell',
          '--repo',
          bare,
          '--merge-verify',
          verify,
          '--integration-lease-ms',
          '3000',
        ],
        { cwd, env },
      );
    const workers = [start(1), start(2)];
    for (const w of workers) await w.waitForOutput(/in its clone/, 60_000);
    const run = startCli(['run', '2026-01-15_orphanverify', '--workers'], { cwd, env });
    let verifyPid = 0;
    try {
      verifyPid = Number(
        await waitUntil(
          () => existsSync(once) && readFileSync(once, 'utf8').trim(),
          180_000,
          'the merge verify to start',
        ),
      );
      // tail is the verify (exec): its parent is the integrating worker.
      const integratorPid = Number(
        execFileSync('ps', ['-o', 'ppid=', '-p', String(verifyPid)], { encoding: 'utf8' }).trim(),
      );
      const victim = workers.find((w) => w.child.pid === integratorPid);
      expect(victim, `integrator pid ${integratorPid}`).toBeDefined();
      victim!.child.kill('SIGKILL');
      await victim!.done(30_000);
      expect(processAlive(verifyPid)).toBe(true); // nothing ends it with its worker
      const ended = await run.done(300_000);
      expect(ended.code, ended.stderr + ended.stdout).toBe(0);
      // The survivor integrated the retry, and ended the verify it found orphaned.
      await waitUntil(() => !processAlive(verifyPid), 30_000, 'the orphaned verify to end');
      expect(integratedTasks(bare, '2026-01-15_orphanverify')).toEqual(['v']);
      const survivor = workers.find((w) => w !== victim)!;
      survivor.child.kill('SIGTERM');
      expect((await survivor.done(60_000)).code).toBe(0);
    } finally {
      if (verifyPid && processAlive(verifyPid)) process.kill(verifyPid, 'SIGKILL');
    }
  }, 480_000);

  it('kill -9 of a worker mid merge-verify: started again, it ends the verify it left running', async () => {
    const cwd = tempDir();
    const env = database();
    const bare = sharedRemote(cwd);
    const { once, verify } = verifyOnce(cwd);
    const dir = shellSprint(join(cwd, 'sprints'), 'restartverify', [
      { id: 'r', command: 'echo r > r.txt' },
    ]);
    expect((await runCli(['push', dir], { cwd, env })).code).toBe(0);
    const args = ['worker', '--name', 'rv', '--agents', 'shell', '--repo', bare];
    const first = startCli([...args, '--merge-verify', verify], { cwd, env });
    await first.waitForOutput(/in its clone/, 60_000);
    const run = startCli(['run', '2026-01-15_restartverify', '--workers'], { cwd, env });
    let verifyPid = 0;
    try {
      verifyPid = Number(
        await waitUntil(
          () => existsSync(once) && readFileSync(once, 'utf8').trim(),
          180_000,
          'the merge verify to start',
        ),
      );
      first.child.kill('SIGKILL');
      await first.done(30_000);
      expect(processAlive(verifyPid)).toBe(true);
      const again = startCli([...args, '--merge-verify', verify], { cwd, env });
      await again.waitForOutput(/in its clone/, 60_000);
      expect(again.stderr).toMatch(/Ended \d+ process\(es\) a previous rv left running/);
      await waitUntil(() => !processAlive(verifyPid), 30_000, 'the orphaned verify to end');
      const ended = await run.done(300_000);
      expect(ended.code, ended.stderr + ended.stdout).toBe(0);
      expect(integratedTasks(bare, '2026-01-15_restartverify')).toEqual(['r']);
      again.child.kill('SIGTERM');
      expect((await again.done(60_000)).code).toBe(0);
    } finally {
      if (verifyPid && processAlive(verifyPid)) process.kill(verifyPid, 'SIGKILL');
    }
  }, 480_000);
});
