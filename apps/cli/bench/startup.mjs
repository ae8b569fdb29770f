// How fast `sprint status <sprint>` starts, against `node -e 0` on the same machine.
// Run: pnpm bench (root) or pnpm --filter @sprint/cli bench.
// Targets (issue 9): status of the demo sprint at most 2.5x `node -e 0`; status of a
// 10,000-task sprint at most 2x, on the first read, the second, and right after `cp -a`
// (a content check, not an inode check), and right after `git clone` (no state.json: it is
// gitignored; PROGRESS.yaml's last line, the overview, answers while its digest matches the
// bytes). Printed beside them: the same clone after an edit passes that line over, where the
// YAML is parsed (or read from the overview cache in the state home when this machine saw those
// bytes). BENCH_TASKS changes the 10,000. The bench keeps its own state home.
// Beside each wall time's ratio, the mean CPU time of the same runs against node -e 0's: on a
// busy machine the wall times swing with the load, the CPU times hardly.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cli = resolve(here, '../dist/bin.js');
const runs = Number(process.env.BENCH_RUNS ?? 21);
const bigTasks = Number(process.env.BENCH_TASKS ?? 10000);
const work = mkdtempSync(join(tmpdir(), 'sprint-bench-'));
// Keys, log records and the overview cache of the bench's sprints: its own, empty at the start.
process.env.SPRINT_STATE_HOME = join(work, 'state-home');
let homes = 0;
/** An empty state home: a machine that never saw the sprint's bytes (nothing cached). */
const newHome = () => ({ ...process.env, SPRINT_STATE_HOME: join(work, `home-${homes++}`) });
const sprint = join(work, '2026-01-15_demo-sprint');
const fresh = join(work, '2026-01-15_never-run');
cpSync(resolve(here, '../../../examples/demo-sprint'), sprint, { recursive: true });
cpSync(resolve(here, '../../../examples/demo-sprint'), fresh, { recursive: true });
// The usual case: a sprint that has run (or is running) has the runner's JSON snapshot.
spawnSync(process.execPath, [cli, 'run', sprint, '--agent', 'noop'], { stdio: 'ignore' });

/**
 * The CPU time (user + system) of this process's waited-for children, in ms, from
 * /proc/self/stat (Linux; ticks of 10 ms, so it is summed over many runs): unlike the
 * wall time, it hardly moves when other work shares the machine.
 */
function childCpuMs() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return Number.NaN;
  }
}
/** Each list of wall times' CPU times (see childCpuMs). */
const cpu = new Map();

function time(args, env = process.env) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

/** Runs node with `args`, adding its wall time to `list` and its CPU time to cpu's entry. */
function sample(list, args, env) {
  const before = childCpuMs();
  list.push(time(args, env));
  if (!cpu.has(list)) cpu.set(list, []);
  cpu.get(list).push(childCpuMs() - before);
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** `cpu 41 ms (1.52x)`: the mean CPU time of `list`'s runs, and against that of `base`'s. */
const cpuOf = (list, base) => {
  const c = mean(cpu.get(list));
  return Number.isNaN(c)
    ? ''
    : `; cpu ${c.toFixed(0)} ms, ${(c / mean(cpu.get(base))).toFixed(2)}x`;
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

try {
  // Warm the file cache and node's compile cache, as any second run would find them.
  for (let i = 0; i < 3; i++) {
    time(['-e', '0']);
    time([cli, 'status', sprint]);
  }
  const base = [];
  const status = [];
  const cold = [];
  const parsed = [];
  const version = [];
  for (let i = 0; i < runs; i++) {
    sample(base, ['-e', '0']);
    sample(status, [cli, 'status', sprint]);
    sample(version, [cli, '--version']);
    // The first status parses SPRINT.yaml and PROGRESS.yaml and keeps the answer; the next
    // read it. Both, each against the same node -e 0.
    sample(cold, [cli, 'status', fresh]);
    sample(parsed, [cli, 'status', fresh], newHome());
  }
  const b = median(base);
  const s = median(status);
  const v = median(version);
  const ratio = s / b;
  console.log(`node ${process.version}, ${runs} runs each, medians:`);
  console.log(`  node -e 0                 ${b.toFixed(1)} ms`);
  console.log(
    `  sprint --version          ${v.toFixed(1)} ms  (${(v / b).toFixed(2)}x${cpuOf(version, base)})`,
  );
  console.log(
    `  sprint status <sprint>    ${s.toFixed(1)} ms  (${ratio.toFixed(2)}x${cpuOf(status, base)})`,
  );
  const c = median(cold);
  const p = median(parsed);
  console.log(
    `  status, never run (YAML)  ${c.toFixed(1)} ms  (${(c / b).toFixed(2)}x; cached${cpuOf(cold, base)})`,
  );
  console.log(
    `  never run, nothing cached ${p.toFixed(1)} ms  (${(p / b).toFixed(2)}x; parsed${cpuOf(parsed, base)})`,
  );
  const verdict = (r, limit) =>
    `${r.toFixed(2)}x, target <= ${limit}x: ${r <= limit ? 'met' : 'NOT met'}`;
  console.log(`  target: status at most 2.5x node -e 0: ${verdict(ratio, 2.5)}`);
  console.log(`  never run (YAML) against the same 2.5x: ${verdict(c / b, 2.5)}`);
  console.log(`  never run, parsed, against the same 2.5x: ${verdict(p / b, 2.5)}`);

  // A 10,000-task sprint: the first status after it was written, then a warm one, then a copy.
  const { SprintDirectoryStore } = await import('../../../packages/core/dist/index.js');
  const root = join(work, 'big');
  const store = new SprintDirectoryStore({ root });
  const bigSprint = {
    name: 'big',
    tasks: Array.from({ length: bigTasks }, (_, i) => ({
      id: `t${i}`,
      type: 'x',
      priority: 'medium',
      dependsOn: [],
      fields: { description: `task ${i}` },
    })),
  };
  const id = await store.create(bigSprint);
  const big = join(root, id);
  // The first status of several new sprints: one sample alone is noise on a busy machine
  // (a single one read 1.60x here while the next read 2.02x, for the same work: same files
  // read, same CPU time).
  const firsts = [];
  sample(firsts, [cli, 'status', big]);
  for (let i = 0; i < 2; i++) {
    const other = join(work, `big-new-${i}`);
    await new SprintDirectoryStore({ root: other }).create(bigSprint);
    sample(firsts, [cli, 'status', join(other, id)]);
  }
  const first = median(firsts);
  const again = [];
  const bases = [];
  for (let i = 0; i < Math.max(5, Math.floor(runs / 3)); i++) {
    sample(bases, ['-e', '0']);
    sample(again, [cli, 'status', big]);
  }
  // The first status of each of several fresh copies: one sample alone is noise on a busy machine.
  const copied = [];
  for (let i = 0; i < 5; i++) {
    const copy = join(work, `big-copy-${i}`);
    const cp = spawnSync('cp', ['-a', root, copy]);
    if (cp.status !== 0) throw new Error(`cp -a failed: ${cp.stderr}`);
    sample(bases, ['-e', '0']);
    sample(copied, [cli, 'status', join(copy, id)]);
  }
  // A git clone has no state.json (the runner's files are gitignored): the YAML is parsed.
  const git = (cwd, ...args) => {
    const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  };
  // What a clone gets was last written by this build of `sprint` (here an import of one more
  // task, as a run that stops writes it), which kept its overview in the state home.
  const more = join(work, 'one-more.yaml');
  writeFileSync(more, '- id: one-more\n  type: custom\n  description: d\n  done-when: ok\n');
  const added = spawnSync(process.execPath, [cli, 'import', big, more], { encoding: 'utf8' });
  if (added.status !== 0) throw new Error(`sprint import failed: ${added.stderr}`);
  git(root, 'init', '-q');
  git(root, 'add', '.');
  git(
    root,
    '-c',
    'user.name=bench',
    '-c',
    'user.email=bench@example.com',
    'commit',
    '-qm',
    'sprint',
  );
  // PROGRESS.yaml's last line answers, on this machine or one that never saw the bytes.
  const cloned = [];
  const clonedElsewhere = [];
  const edited = [];
  const editedElsewhere = [];
  for (let i = 0; i < 3; i++) {
    const clone = join(work, `big-clone-${i}`);
    git(work, 'clone', '-q', root, clone);
    sample(bases, ['-e', '0']);
    sample(cloned, [cli, 'status', join(clone, id)]);
    sample(clonedElsewhere, [cli, 'status', join(clone, id)], newHome());
    // An edit (a tool that rewrote the file without the line): parsed, then kept in the cache.
    const progress = join(clone, id, 'PROGRESS.yaml');
    const text = readFileSync(progress, 'utf8');
    writeFileSync(progress, text.slice(0, text.lastIndexOf('# overview ')));
    const home = newHome();
    sample(editedElsewhere, [cli, 'status', join(clone, id)], home);
    sample(edited, [cli, 'status', join(clone, id)], home);
  }
  const bb = median(bases);
  console.log(`${bigTasks} tasks (node -e 0 ${bb.toFixed(1)} ms here):`);
  console.log(
    `  first status              ${first.toFixed(1)} ms  (${verdict(first / bb, 2)}; median of 3 new sprints${cpuOf(firsts, bases)})`,
  );
  console.log(
    `  second status (median)    ${median(again).toFixed(1)} ms  (${verdict(median(again) / bb, 2)}${cpuOf(again, bases)})`,
  );
  const c2 = median(copied);
  console.log(
    `  first status after cp -a  ${c2.toFixed(1)} ms  (${verdict(c2 / bb, 2)}; median of 5 copies${cpuOf(copied, bases)})`,
  );
  const c3 = median(cloned);
  console.log(
    `  first status after git clone ${c3.toFixed(1)} ms  (${verdict(c3 / bb, 2)}; no state.json: the overview line, median of 3${cpuOf(cloned, bases)})`,
  );
  const c4 = median(clonedElsewhere);
  console.log(
    `  same, nothing cached      ${c4.toFixed(1)} ms  (${verdict(c4 / bb, 2)}; a machine that never saw the bytes${cpuOf(clonedElsewhere, bases)})`,
  );
  const e1 = median(editedElsewhere);
  const e2 = median(edited);
  console.log(
    `  clone edited, no line     ${e1.toFixed(1)} ms  (${(e1 / bb).toFixed(2)}x, printed; parsed${cpuOf(editedElsewhere, bases)})`,
  );
  console.log(
    `  same, second status       ${e2.toFixed(1)} ms  (${(e2 / bb).toFixed(2)}x, printed; from the cache${cpuOf(edited, bases)})`,
  );
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
