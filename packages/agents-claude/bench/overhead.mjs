// How much time ClaudeCodeAgent adds to a run of the claude CLI.
//
// Both sides run the real CLI against a fake API that answers at once with a
// completed structured result: (a) through ClaudeCodeAgent.run(), from the call
// to the result; (b) the same binary with the same arguments and prompt,
// spawned from a shell, from the spawn to the process's end. Runs alternate.
// Prints figures only; it asserts nothing about timing.
//
//   pnpm --filter @sprint/agents-claude build && pnpm --filter @sprint/agents-claude bench
//   BENCH_RUNS=30 node bench/overhead.mjs
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SprintConfigSchema, TaskSchema } from '@sprint/core';
import { buildTaskPrompt } from '@sprint/core/agent-kit';
import { claudeTestEnv, findClaudeBin, startFakeAnthropic } from '@sprint/test-kit';
import { ClaudeCodeAgent, claudeArgs } from '../dist/index.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const binary = findClaudeBin(import.meta.dirname);

const fake = await startFakeAnthropic(() => ({
  type: 'structured-output',
  output: { status: 'completed', summary: 'ok', deferred_items: [], files_changed: [] },
}));
const home = await mkdtemp(join(tmpdir(), 'bench-claude-home-'));
const project = await mkdtemp(join(tmpdir(), 'bench-claude-project-'));
const env = claudeTestEnv({ baseUrl: fake.url, home });

const agent = new ClaudeCodeAgent({ binary, inheritEnv: false, env });
const ctx = {
  task: TaskSchema.parse({ id: 'bench', type: 'custom', description: 'Answer at once.' }),
  sprint: { id: 'bench', name: 'Bench', goals: [], config: SprintConfigSchema.parse({}) },
  projectDir: project,
  stateFiles: [],
  attempt: 1,
  context: {},
  previousResults: [],
  signal: new AbortController().signal,
  emit: () => {},
  setPid: () => {},
};

// The direct run: same binary, same arguments, same prompt on stdin, from a shell.
const args = claudeArgs(agent.options, { isRoot: process.getuid?.() === 0 });
const promptFile = join(home, 'prompt.md');
await writeFile(promptFile, buildTaskPrompt(ctx));
const quoted = [binary, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');

function direct() {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('sh', ['-c', `exec ${quoted} < '${promptFile}'`], {
      cwd: project,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (!out.includes('"structured_output"'))
        reject(new Error(`direct run without a result (exit ${code})`));
      else resolve(ms);
    });
  });
}

async function throughAgent() {
  const started = performance.now();
  const result = await agent.run(ctx);
  const ms = performance.now() - started;
  if (!result.success) throw new Error(`agent run failed: ${result.error?.message}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const pct = (xs, p) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

try {
  const version = await new Promise((resolve) => {
    const c = spawn(binary, ['--version'], { env });
    let v = '';
    c.stdout.on('data', (d) => {
      v += d;
    });
    c.on('close', () => resolve(v.trim()));
  });
  // one warm-up of each: the first run of a binary pays for page cache and HOME setup
  await direct();
  await throughAgent();
  const viaAgent = [];
  const viaShell = [];
  for (let i = 0; i < RUNS; i++) {
    if (i % 2) {
      viaAgent.push(await throughAgent());
      viaShell.push(await direct());
    } else {
      viaShell.push(await direct());
      viaAgent.push(await throughAgent());
    }
  }
  const a = median(viaAgent);
  const d = median(viaShell);
  const f = (ms) => `${ms.toFixed(1)} ms`;
  console.log(`claude CLI ${version}, ${RUNS} runs each, fake API answering at once`);
  console.log(
    `  through ClaudeCodeAgent  median ${f(a)}  p90 ${f(pct(viaAgent, 0.9))}  min ${f(Math.min(...viaAgent))}`,
  );
  console.log(
    `  CLI spawned from a shell median ${f(d)}  p90 ${f(pct(viaShell, 0.9))}  min ${f(Math.min(...viaShell))}`,
  );
  console.log(
    `  overhead of the agent    ${f(a - d)} (${(((a - d) / d) * 100).toFixed(1)} %; target within 5 %)`,
  );
} finally {
  await fake.close();
  await rm(home, { recursive: true, force: true });
  await rm(project, { recursive: true, force: true });
}
