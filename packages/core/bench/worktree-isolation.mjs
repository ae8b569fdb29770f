// The cost of task isolation. Prints figures; asserts nothing (machines are noisy).
// 1. 12 independent 1-s tasks at --concurrency 4 under isolation: wall time against
//    3 s + the per-task isolation overhead measured in the same run (target: within 15%).
// 2. Isolation per task (worktree create + commit + integrate + remove), median of
//    several (after the first task, create resets the worktree the previous task left), on a clone of this repository and on a generated 20,000-file repository
//    (target: < 150 ms/task on the small one), with `node -e 0` as the spawn floor.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AgentRegistry, ShellAgent, SprintDirectoryStore, SprintRunner } from '../dist/index.js';
import { gitSpawns } from '../dist/worktrees/git.js';
import { MergeQueue } from '../dist/worktrees/merge-queue.js';
import { commitTask } from '../dist/worktrees/task-commit.js';
import { locateGitProject, WorktreeManager } from '../dist/worktrees/worktree-manager.js';

const git = (cwd, ...args) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(0)} ms`;

function spawnFloor() {
  const runs = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    runs.push(performance.now() - t);
  }
  return median(runs);
}

async function initRepo(dir) {
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.name', 'bench');
  git(dir, 'config', 'user.email', 'bench@localhost');
}

/** create + commit + integrate + remove (recycle, as the runner does), one task at a time, in `top`. */
async function isolationCost(top, n) {
  const project = await locateGitProject(top);
  const manager = new WorktreeManager({ project, sprintId: `bench-${Date.now()}` });
  const target = git(top, 'symbolic-ref', '--short', 'HEAD');
  const queue = new MergeQueue({ manager, sprintId: manager.sprintId, target });
  const phases = { create: [], commit: [], integrate: [], remove: [], total: [] };
  const spawns = { create: 0, commit: 0, integrate: 0, remove: 0 };
  for (let i = 0; i < n; i++) {
    const [head, headTree] = git(top, 'rev-parse', target, `${target}^{tree}`).split('\n');
    const s0 = gitSpawns();
    const t0 = performance.now();
    const wt = await manager.create(`t${i}`, 1, head, headTree);
    const t1 = performance.now();
    const s1 = gitSpawns();
    await writeFile(join(wt.path, `bench-${i}.txt`), `${i}\n`);
    const committed = await commitTask(
      wt,
      {
        sprintId: manager.sprintId,
        sprintName: 'bench',
        taskId: `t${i}`,
        taskType: 'x',
        label: 'x',
        summary: '',
      },
      [],
    );
    const t2 = performance.now();
    const s2 = gitSpawns();
    const out = await queue.integrate({ wt, taskId: `t${i}`, commit: committed.commit, committed });
    if (out.kind !== 'integrated') throw new Error(`not integrated: ${out.kind}`);
    const t3 = performance.now();
    const s3 = gitSpawns();
    await manager.recycle(wt);
    const t4 = performance.now();
    const s4 = gitSpawns();
    spawns.create = s1 - s0;
    spawns.commit = s2 - s1;
    spawns.integrate = s3 - s2;
    spawns.remove = s4 - s3;
    phases.create.push(t1 - t0);
    phases.commit.push(t2 - t1);
    phases.integrate.push(t3 - t2);
    phases.remove.push(t4 - t3);
    phases.total.push(t4 - t0);
  }
  await manager.clean();
  return {
    ...Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, median(v)])),
    first: phases.total[0],
    spawns,
  };
}

/**
 * Where the parallel run's time goes, from its events and the stamps each task's command wrote:
 * the tasks in the order they started, the first four (from nothing) apart from the rest.
 */
async function breakdown(scratch, seen, runStart, runEnd) {
  const { readFile } = await import('node:fs/promises');
  const tasks = [];
  for (const [taskId, t] of seen) {
    const stamp = async (n) => Number(await readFile(join(scratch, `${n}-${taskId}`), 'utf8'));
    tasks.push({ ...t, cmdStart: await stamp('cmd-start'), cmdEnd: await stamp('cmd-end') });
  }
  tasks.sort((a, b) => a.started - b.started);
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const phase = (list, from, to) => ms(mean(list.map((x) => x[to] - x[from])));
  const first = tasks.slice(0, 4);
  const later = tasks.slice(4);
  // A slot's idle time: from a command's end to the start of the next task in the same slot
  // (the task that started next after it ended).
  const gaps = tasks.flatMap((x) => {
    const next = tasks.find((y) => y.started >= x.cmdEnd && !y.claimed);
    if (!next) return [];
    next.claimed = true;
    return [next.started - x.cmdEnd];
  });
  const lastEnd = Math.max(...tasks.map((x) => x.cmdEnd));
  const startup = tasks[0].started - runStart;
  const toCommand = (list) => mean(list.map((x) => x.cmdStart - x.started));
  const command = mean(tasks.map((x) => x.cmdEnd - x.cmdStart));
  const gap = mean(gaps);
  const tail = runEnd - lastEnd;
  return [
    `  breakdown (means; events are seen once the log has them): start of the run -> first task started ${ms(startup)}`,
    `    task started -> its command runs (worktree, hooks, agent spawn): first four ${ms(toCommand(first))}, later ${ms(toCommand(later))}`,
    `    command (sleep 1): ${ms(command)}; command ended -> next task started in its slot ${ms(gap)} (${gaps.length} slots reused)`,
    `    command ended -> committed and queued ${phase(tasks, 'cmdEnd', 'queued')}; queued -> integrated ${phase(tasks, 'queued', 'integrated')}`,
    `    last command ended -> run returned ${ms(tail)} (the last commit and integration, the end of the run)`,
    `    critical path: ${ms(startup)} + (${ms(toCommand(first))} + ${ms(command)} + ${ms(gap)}) + (${ms(toCommand(later))} + ${ms(command)} + ${ms(gap)}) x 2 - ${ms(gap)} + ${ms(tail)} = ${ms(startup + toCommand(first) + 2 * toCommand(later) + 3 * command + 2 * gap + tail)}`,
  ].join('\n');
}

function describeCost(name, files, c) {
  const s = c.spawns;
  return [
    `${name} (${files} files): ${ms(c.total)}/task = create ${ms(c.create)} + commit ${ms(c.commit)} + integrate ${ms(c.integrate)} + remove ${ms(c.remove)}`,
    `  git spawns/task: ${s.create + s.commit + s.integrate + s.remove} = create ${s.create} + commit ${s.commit} + integrate ${s.integrate} + remove ${s.remove}`,
    `  the first task, in a worktree created from nothing: ${ms(c.first)}`,
  ].join('\n');
}

// WT_BENCH=small,big,parallel (the default: all three) picks the parts to run.
const parts = new Set((process.env.WT_BENCH ?? 'small,big,parallel').split(','));
const floor = spawnFloor();
console.log(`node -e 0 (spawn floor): ${ms(floor)}`);

// The small repository: a clone of this one (objects hard-linked, its own refs).
const scratch = await mkdtemp(join(tmpdir(), 'sprint-bench-wt-'));
try {
  const here = resolve(import.meta.dirname, '../../..');
  const small = join(scratch, 'small');
  git(scratch, 'clone', '-q', '--local', here, small);
  git(small, 'config', 'user.name', 'bench');
  git(small, 'config', 'user.email', 'bench@localhost');
  const smallFiles = git(small, 'ls-files').split('\n').length;
  const smallCost = parts.has('small') ? await isolationCost(small, 7) : undefined;
  if (smallCost) {
    console.log(describeCost('this repository', smallFiles, smallCost));
    console.log(
      `  target < 150 ms/task: ${smallCost.total < 150 ? 'met' : 'NOT met'} (${(smallCost.total / floor).toFixed(1)}x the spawn floor)`,
    );
  }

  if (parts.has('big')) {
    const big = join(scratch, 'big');
    await mkdir(big);
    await initRepo(big);
    for (let d = 0; d < 200; d++) {
      const dir = join(big, `d${d}`);
      await mkdir(dir);
      await Promise.all(
        Array.from({ length: 100 }, (_, f) =>
          writeFile(join(dir, `f${f}.txt`), `file ${d}/${f}\n`),
        ),
      );
    }
    git(big, 'add', '-A');
    git(big, 'commit', '-q', '-m', 'generated');
    const bigCost = await isolationCost(big, 3);
    console.log(describeCost('generated repository', 20_000, bigCost));
    if (smallCost) {
      console.log(
        `  growth: ${(bigCost.total / smallCost.total).toFixed(1)}x the small repository's cost for ${(20_000 / smallFiles).toFixed(0)}x the files; creation (checkout) is ${((bigCost.create / bigCost.total) * 100).toFixed(0)}% of it`,
      );
    }
  }

  // 12 independent 1-s tasks at concurrency 4, in a small project under isolation.
  if (parts.has('parallel')) {
    const project = join(scratch, 'project');
    await mkdir(project);
    await initRepo(project);
    await writeFile(join(project, 'README.md'), 'bench\n');
    git(project, 'add', '-A');
    git(project, 'commit', '-q', '-m', 'initial');
    const store = new SprintDirectoryStore({ root: join(project, '.claude', 'sprints') });
    const id = await store.create({
      name: 'parallel',
      // The store writes `max-tasks: 10` (the original plugin's default) unless told otherwise.
      config: { isolation: 'worktree', 'auto-commit': false, 'max-tasks': 12 },
      tasks: Array.from({ length: 12 }, (_, i) => ({
        id: `t${i}`,
        type: 'shell',
        priority: 'medium',
        dependsOn: [],
        // Its start and end stamped outside the project, for the breakdown.
        command: `date +%s%3N > ${scratch}/cmd-start-t${i}; sleep 1; echo ${i} > out-${i}.txt; date +%s%3N > ${scratch}/cmd-end-t${i}`,
        fields: {},
      })),
    });
    const perTask = await isolationCost(project, 5);
    const runner = new SprintRunner({
      store,
      agents: new AgentRegistry({ default: new ShellAgent() }),
    });
    const s = gitSpawns();
    const t = performance.now();
    const runStart = Date.now();
    const seen = new Map();
    const mark = (taskId, what) => {
      if (!seen.has(taskId)) seen.set(taskId, {});
      seen.get(taskId)[what] ??= Date.now();
    };
    const result = await runner.run(id, {
      concurrency: 4,
      onEvent: (e) => {
        if (e.type === 'task-started') mark(e.taskId, 'started');
        if (e.type === 'worktree' && e.taskId && ['queued', 'integrated'].includes(e.stage))
          mark(e.taskId, e.stage);
      },
    });
    const runEnd = Date.now();
    const wall = performance.now() - t;
    const spawned = gitSpawns() - s;
    const commits = git(project, 'log', '--format=%s', 'main').split('\n').length - 1 - 5;
    const expected = 3000 + 3 * perTask.total;
    console.log(
      `12 x 1-s tasks at concurrency 4 under isolation: ${ms(wall)} (${result.status}, ${commits} task commits); 3 s + 3 x ${ms(perTask.total)} per-task isolation = ${ms(expected)}: ${((wall / expected - 1) * 100).toFixed(0)}% over (target within 15%)`,
    );
    console.log(
      `  git processes the runner started: ${spawned} (${(spawned / 12).toFixed(1)} per task)`,
    );
    console.log(await breakdown(scratch, seen, runStart, runEnd));
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}
