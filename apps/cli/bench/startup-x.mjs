// How fast `sprint status <sprint>` starts, against `node -e 0` on the same machine.
// Run: pnpm bench (root) or pnpm --filter @sprint/cli bench.
// Targets (issue 9): status of the demo sprint at most 2.5x `node -e 0`; status of a
// 10,000-task sprint at most 2x, on the first read, the second, and right after `cp -a`
// (a content check, not an inode check), and right after `git clone` (no state.json: it is
// gitignored, so the YAML is parsed). BENCH_TASKS changes the 10,000.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const cli = resolve(here, '../dist/bin.js');
const runs = Number(process.env.BENCH_RUNS ?? 21);
const bigTasks = Number(process.env.BENCH_TASKS ?? 10000);
const work = mkdtempSync(join(tmpdir(), 'sprint-bench-'));
const sprint = join(work, '2026-01-15_demo-sprint');
const fresh = join(work, '2026-01-15_never-run');
cpSync(resolve(here, '../../../examples/demo-sprint'), sprint, { recursive: true });
cpSync(resolve(here, '../../../examples/demo-sprint'), fresh, { recursive: true });
// The usual case: a sprint that has run (or is running) has the runner's JSON snapshot.
spawnSync(process.execPath, [cli, 'run', sprint, '--agent', 'noop'], { stdio: 'ignore' });

function time(args) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}
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
  const version = [];
  for (let i = 0; i < runs; i++) {
    base.push(time(['-e', '0']));
    status.push(time([cli, 'status', sprint]));
    version.push(time([cli, '--version']));
    cold.push(time([cli, 'status', fresh]));
  }
  const b = median(base);
  const s = median(status);
  const v = median(version);
  const ratio = s / b;
  console.log(`node ${process.version}, ${runs} runs each, medians:`);
  console.log(`  node -e 0                 ${b.toFixed(1)} ms`);
  console.log(`  sprint --version          ${v.toFixed(1)} ms  (${(v / b).toFixed(2)}x)`);
  console.log(`  sprint status <sprint>    ${s.toFixed(1)} ms  (${ratio.toFixed(2)}x)`);
  const c = median(cold);
  console.log(`  status, never run (YAML)  ${c.toFixed(1)} ms  (${(c / b).toFixed(2)}x)`);
  const verdict = (r, limit) =>
    `${r.toFixed(2)}x, target <= ${limit}x: ${r <= limit ? 'met' : 'NOT met'}`;
  console.log(`  target: status at most 2.5x node -e 0: ${verdict(ratio, 2.5)}`);
  console.log(`  never run (YAML) against the same 2.5x: ${verdict(c / b, 2.5)}`);

  // A 10,000-task sprint: the first status after it was written, then a warm one, then a copy.
  const { SprintDirectoryStore } = await import('../../../packages/core/dist/index.js');
  const root = join(work, 'big');
  const store = new SprintDirectoryStore({ root });
  const id = await store.create({
    name: 'big',
    tasks: Array.from({ length: bigTasks }, (_, i) => ({
      id: `t${i}`,
      type: 'x',
      priority: 'medium',
      dependsOn: [],
      fields: { description: `task ${i}` },
    })),
  });
  const big = join(root, id);
  const first = time([cli, "status", big]); console.log("first", first);
  const again = [];
  const bases = [];
  for (let i = 0; i < Math.max(5, Math.floor(runs / 3)); i++) {
    bases.push(time(['-e', '0']));
    again.push(time([cli, "status", big])); console.log("again", again.at(-1), bases.at(-1));
  }
  // The first status of each of several fresh copies: one sample alone is noise on a busy machine.
  const copied = [];
  for (let i = 0; i < 5; i++) {
    const copy = join(work, `big-copy-${i}`);
    const cp = spawnSync('cp', ['-a', root, copy]);
    if (cp.status !== 0) throw new Error(`cp -a failed: ${cp.stderr}`);
    bases.push(time(['-e', '0']));
    copied.push(time([cli, 'status', join(copy, id)])); console.log('copy', copied.at(-1), bases.at(-1));
  }
  // A git clone has no state.json (the runner's files are gitignored): the YAML is parsed.
  const git = (cwd, ...args) => {
    const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed: ${r.stderr}`);
  };
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
  const cloned = [];
  for (let i = 0; i < 3; i++) {
    const clone = join(work, `big-clone-${i}`);
    git(work, 'clone', '-q', root, clone);
    bases.push(time(['-e', '0']));
    cloned.push(time([cli, 'status', join(clone, id)]));
  }
  const bb = median(bases);
  console.log(`${bigTasks} tasks (node -e 0 ${bb.toFixed(1)} ms here):`);
  console.log(`  first status              ${first.toFixed(1)} ms  (${verdict(first / bb, 2)})`);
  console.log(
    `  second status (median)    ${median(again).toFixed(1)} ms  (${verdict(median(again) / bb, 2)})`,
  );
  const c2 = median(copied);
  console.log(
    `  first status after cp -a  ${c2.toFixed(1)} ms  (${verdict(c2 / bb, 2)}; median of 5 copies)`,
  );
  const c3 = median(cloned);
  console.log(
    `  first status after git clone ${c3.toFixed(1)} ms  (${verdict(c3 / bb, 2)}; no state.json: YAML, median of 3)`,
  );
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
