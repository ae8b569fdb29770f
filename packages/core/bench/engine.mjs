// The engine through the real CLI path, as ratios measured in one run:
//   1. per-task overhead of `sprint run --agent claude` with a stub `claude`
//      (a shell script printing a valid stream-json result), beside the floor:
//      N spawns of the same stub from a bash loop. Targets: at most 3x the
//      floor without auto-commit; at most 25 ms with auto-commit in a git
//      repository where each task changes a file.
//   2. linearity: per-task cost at 10,000 tasks vs 1,000 (noop agent, through
//      the CLI with its progress output). Target: within 1.3x.
//   3. concurrency: 12 independent 1-s tasks with --concurrency 4. Target:
//      within 10% of 3 s plus the per-task overhead, plus the CLI's start-up (paid once).
//   4. a guard on the block-YAML writer: yaml.stringify on a 1,000-task
//      PROGRESS.yaml must stay several times slower than ours.
//   5. phases: what parts of a task's overhead cost in this process (a spawn of
//      the stub from Node, the check for what it left behind, a log digest),
//      for the next person looking for where the time goes.
// Prints figures and whether each target is met; asserts nothing.
//   ./dev --filter @sprint/core bench        (BENCH_QUICK=1 for smaller sizes)
//   ENGINE_BENCH=overhead,linear,concurrency,yaml,phases (the default: all) picks the parts to run.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { SprintDirectoryStore } from '../dist/index.js';
import { processStartTime } from '../dist/process/process-group.js';
import { endMarkedProcesses, forkClock } from '../dist/process/process-tree.js';
import { toBlockYaml } from '../dist/stores/directory/block-yaml.js';
import { chainDigest } from '../dist/stores/runner-secret.js';

// ENGINE_BENCH_CLI: another build of the CLI's bin.js (to compare two builds in one run).
const CLI =
  process.env.ENGINE_BENCH_CLI ??
  join(import.meta.dirname, '..', '..', '..', 'apps', 'cli', 'dist', 'bin.js');
const QUICK = process.env.BENCH_QUICK === '1';
const parts = new Set(
  (process.env.ENGINE_BENCH ?? 'overhead,linear,concurrency,yaml,phases').split(','),
);
const work = await mkdtemp(join(tmpdir(), 'sprint-engine-bench-'));

const result = JSON.stringify({
  type: 'result',
  subtype: 'success',
  is_error: false,
  result: 'done',
  session_id: 'bench',
  total_cost_usd: 0,
  structured_output: { status: 'completed', summary: 'ok', deferred_items: [], files_changed: [] },
});

async function stub(name, body) {
  const path = join(work, name);
  await writeFile(path, `#!/bin/sh\ncat > /dev/null\n${body}printf '%s\\n' '${result}'\n`);
  await chmod(path, 0o755);
  return path;
}

const tasks = (n) =>
  Array.from({ length: n }, (_, i) => ({
    id: `t${i}`,
    type: 'x',
    priority: 'medium',
    dependsOn: [],
    fields: {},
  }));

async function project(n, { git = false, config = {} } = {}) {
  const dir = await mkdtemp(join(work, 'project-'));
  if (git) {
    const g = (...args) => execFileSync('git', args, { cwd: dir });
    g('init', '-q', '-b', 'main');
    g('config', 'user.email', 'bench@example.com');
    g('config', 'user.name', 'Bench');
    await writeFile(join(dir, 'README.md'), 'bench\n');
    g('add', '-A');
    g('commit', '-qm', 'base');
  }
  await mkdir(join(dir, '.claude', 'sprints'), { recursive: true });
  const store = new SprintDirectoryStore({ root: join(dir, '.claude', 'sprints') });
  // The store writes `max-tasks: 10` (the original plugin's default) unless told otherwise.
  const id = await store.create({
    name: 'bench',
    tasks: tasks(n),
    config: { 'max-tasks': n, ...config },
  });
  return { dir, sprint: join(dir, '.claude', 'sprints', id) };
}

function timed(cmd, args, options) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { ...options, encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

async function cliRun(n, { agent, git, config, env = {}, extra = [] }) {
  const p = await project(n, { git, config });
  return timed(
    process.execPath,
    [CLI, 'run', p.sprint, '--agent', agent, '--max-iterations', String(n), ...extra],
    { cwd: p.dir, env: { ...process.env, ...env } },
  );
}

const fmt = (ms) => `${ms.toFixed(2)} ms`;
const verdict = (ok) => (ok ? 'met' : 'NOT met');

try {
  if (!existsSync(CLI)) {
    console.log(`engine bench: ${CLI} is missing; build the CLI first (./dev build)`);
  } else {
    const [n1, n2] = QUICK ? [5, 25] : [10, 60];
    const instant = await stub('claude-instant', '');
    const writes = await stub('claude-writes', 'echo $$ > "out-$$.txt"\n');
    const sleeps = await stub('claude-sleeps', 'sleep 1\n');

    // The floor: the same stub, spawned N times from a bash loop.
    const floorMs =
      (timed('bash', ['-c', `for i in $(seq ${n2}); do ${instant} </dev/null >/dev/null; done`]) -
        timed('bash', ['-c', `for i in $(seq ${n1}); do ${instant} </dev/null >/dev/null; done`])) /
      (n2 - n1);

    const perTask = async (opts) => {
      const a = await cliRun(n1, opts);
      const b = await cliRun(n2, opts);
      return (b - a) / (n2 - n1);
    };
    const off =
      parts.has('overhead') || parts.has('concurrency')
        ? await perTask({
            agent: 'claude',
            config: { 'auto-commit': false },
            env: { SPRINT_CLAUDE_BIN: instant },
          })
        : 0;
    if (parts.has('overhead')) {
      const commit = await perTask({
        agent: 'claude',
        git: true,
        env: { SPRINT_CLAUDE_BIN: writes },
      });
      // Git processes per task: every git process (also the ones git starts itself) traced to a file.
      const gitPerTask = async () => {
        const counts = [];
        for (const n of [n1, n2]) {
          const trace = join(work, `git-trace-${n}.log`);
          await cliRun(n, {
            agent: 'claude',
            git: true,
            env: { SPRINT_CLAUDE_BIN: writes, GIT_TRACE: trace },
          });
          const text = await readFile(trace, 'utf8').catch(() => '');
          counts.push(
            text.split('\n').filter((l) => / trace: (built-in|exec): git /.test(l)).length,
          );
        }
        return (counts[1] - counts[0]) / (n2 - n1);
      };
      const spawns = await gitPerTask();
      console.log('engine: per task through `sprint run --agent claude` (stub claude)');
      console.log(`  floor: one spawn of the stub from bash      ${fmt(floorMs)}`);
      console.log(
        `  no auto-commit: ${fmt(off)} per task, overhead ${fmt(off - floorMs)} = ${((off - floorMs) / floorMs).toFixed(1)}x the floor (target <= 3x: ${verdict(off - floorMs <= 3 * floorMs)})`,
      );
      console.log(
        `  auto-commit, git, a file changed: ${fmt(commit)} per task, overhead ${fmt(commit - floorMs)} (target <= 25 ms: ${verdict(commit - floorMs <= 25)}), ${spawns.toFixed(1)} git processes per task`,
      );
    }

    if (parts.has('phases')) {
      // The stub spawned as the claude agent spawns it: its own session, three pipes.
      const spawnStub = () =>
        new Promise((resolve, reject) => {
          const clock = forkClock();
          const t0 = performance.now();
          const child = spawn(instant, [], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
          const ticks = Number(processStartTime(child.pid) ?? 0);
          child.on('error', reject);
          child.stdin.end('the prompt');
          child.stdout.resume();
          child.stderr.resume();
          child.on('close', () =>
            resolve({ ms: performance.now() - t0, since: { ticks, pid: child.pid, clock } }),
          );
        });
      const timedAsync = async (fn) => {
        const t0 = performance.now();
        await fn();
        return performance.now() - t0;
      };
      const rounds = QUICK ? 15 : 40;
      const spawnMs = [];
      const everyMs = [];
      const sinceMs = [];
      for (let i = 0; i < rounds; i++) {
        const { ms, since } = await spawnStub();
        spawnMs.push(ms);
        // A clean exit's check for leftovers: every process's stat line, or only those forked since.
        everyMs.push(
          await timedAsync(() =>
            endMarkedProcesses('bench', [since.pid], 0, { ticks: since.ticks }),
          ),
        );
        sinceMs.push(await timedAsync(() => endMarkedProcesses('bench', [since.pid], 0, since)));
      }
      const key = { id: 'bench', secret: randomBytes(32) };
      const line = JSON.stringify({
        type: 'task-finished',
        taskId: 't1',
        summary: 'x'.repeat(200),
      });
      const digests = 2000;
      const t0 = performance.now();
      for (let i = 0; i < digests; i++) chainDigest(key, 'prev', line);
      const digestUs = ((performance.now() - t0) / digests) * 1000;
      const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const procs = execFileSync('sh', ['-c', 'ls /proc | grep -c "^[0-9]"'], {
        encoding: 'utf8',
      }).trim();
      console.log(
        `engine phases (medians of ${rounds}, this Node process at ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB RSS):`,
      );
      console.log(
        `  spawn of the stub from Node, to its close   ${fmt(median(spawnMs))} (floor from bash ${fmt(floorMs)})`,
      );
      console.log(
        `  leftover check after a clean exit: every process's stat line ${fmt(median(everyMs))} (${procs} processes), those forked since ${fmt(median(sinceMs))}`,
      );
      console.log(`  one event log digest                         ${digestUs.toFixed(1)} us`);
    }

    if (parts.has('linear')) {
      const [l1, l2] = QUICK ? [500, 2000] : [1000, 10000];
      // The CLI's start-up and the sprint's first load are paid once: measured on one task.
      const startup = await cliRun(1, { agent: 'noop' });
      const small = ((await cliRun(l1, { agent: 'noop' })) - startup) / l1;
      const large = ((await cliRun(l2, { agent: 'noop' })) - startup) / l2;
      console.log(
        `engine: noop through the CLI, ${l1} tasks ${fmt(small)}/task, ${l2} tasks ${fmt(large)}/task: ratio ${(large / small).toFixed(2)} (target <= 1.3: ${verdict(large / small <= 1.3)})`,
      );
    }

    if (parts.has('concurrency')) {
      const conc = await cliRun(12, {
        agent: 'claude',
        config: { 'auto-commit': false },
        env: { SPRINT_CLAUDE_BIN: sleeps },
        extra: ['--concurrency', '4'],
      });
      // The CLI's own start (Node, the bundle, the sprint's first load) is paid once, whatever
      // the tasks do: measured as a run of one instant task less that task's time.
      const startup = Math.max(
        0,
        (await cliRun(1, {
          agent: 'claude',
          config: { 'auto-commit': false },
          env: { SPRINT_CLAUDE_BIN: instant },
        })) - off,
      );
      const ideal = startup + 3000 + 12 * Math.max(0, off - floorMs);
      console.log(
        `engine: 12 independent 1-s tasks, --concurrency 4: ${fmt(conc)} vs start-up ${fmt(startup)} + 3 s + 12 x overhead ${fmt(Math.max(0, off - floorMs))} = ${fmt(ideal)}: ${(conc / ideal).toFixed(2)}x (target <= 1.10: ${verdict(conc / ideal <= 1.1)})`,
      );
    }
  }

  // The block-YAML writer against yaml.stringify on the same 1,000-task progress document.
  if (parts.has('yaml')) {
    const doc = {
      'sprint-id': 'bench',
      status: 'in-progress',
      queue: tasks(1000).map((t) => ({
        id: t.id,
        type: 'custom',
        priority: 'medium',
        description: `Task ${t.id}: do the thing, then "quote" it: yes`,
        attempts: [{ n: 1, agent: 'claude', 'started-at': '2026-12-01T10:00:00Z' }],
      })),
    };
    const best = (fn) => {
      let min = Number.POSITIVE_INFINITY;
      for (let i = 0; i < 7; i++) {
        const t0 = performance.now();
        fn();
        min = Math.min(min, performance.now() - t0);
      }
      return min;
    };
    const ours = best(() => toBlockYaml(doc));
    const theirs = best(() => stringify(doc));
    console.log(
      `yaml guard: block writer ${fmt(ours)}, yaml.stringify ${fmt(theirs)}: ${(theirs / ours).toFixed(1)}x faster (guard >= 3x: ${verdict(theirs / ours >= 3)})`,
    );
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
