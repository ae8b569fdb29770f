// How much time CodexAgent adds to a run of the codex CLI.
//
// Both sides run the real CLI against a fake Responses API that answers at once
// with a completed result: (a) through CodexAgent.run(), from the call to the
// result; (b) the same binary with the same arguments and prompt, spawned from a
// shell, from the spawn to the process's end. Runs alternate; medians are
// compared. Target: the agent within 5 % of the shell.
//
//   pnpm --filter @sprint/agents-codex build && pnpm --filter @sprint/agents-codex bench
//   BENCH_RUNS=10 node bench/overhead.mjs
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SprintConfigSchema, TaskSchema } from '@sprint/core';
import { buildTaskPrompt } from '@sprint/core/agent-kit';
import { codexTestEnv, findAgentBin, startFakeOpenAIResponses } from '@sprint/test-kit';
import { CODEX_RESULT_JSON_SCHEMA, CodexAgent, codexArgs } from '../dist/index.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TARGET = 0.05;
const binary = findAgentBin('codex', import.meta.dirname, '@openai/codex');
const report = {
  status: 'completed',
  summary: 'ok',
  deferred_items: [],
  files_changed: [],
  human_needed: null,
};
const fake = await startFakeOpenAIResponses(() => ({
  type: 'message',
  text: JSON.stringify(report),
}));
const home = await mkdtemp(join(tmpdir(), 'bench-codex-home-'));
const project = await mkdtemp(join(tmpdir(), 'bench-codex-project-'));
const env = codexTestEnv({ baseUrl: fake.baseUrl, home });
const agent = new CodexAgent({ binary, inheritEnv: false, env });
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
const schemaFile = join(home, 'schema.json');
await writeFile(schemaFile, JSON.stringify(CODEX_RESULT_JSON_SCHEMA));
const promptFile = join(home, 'prompt.md');
await writeFile(promptFile, buildTaskPrompt(ctx, 'schema-message'));
const quoted = [binary, ...codexArgs(agent.options, { schemaFile })]
  .map((a) => `'${a.replaceAll("'", "'\\''")}'`)
  .join(' ');

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
      if (!out.includes('"agent_message"'))
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

try {
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
  const ratio = a / d;
  const f = (ms) => `${ms.toFixed(1)} ms`;
  console.log(
    `codex CLI, ${RUNS} runs each, fake Responses API answering at once (load ${loadavg()[0].toFixed(2)})`,
  );
  console.log(`  through CodexAgent       median ${f(a)}  min ${f(Math.min(...viaAgent))}`);
  console.log(`  CLI spawned from a shell median ${f(d)}  min ${f(Math.min(...viaShell))}`);
  console.log(
    `  ratio ${ratio.toFixed(3)} (overhead ${f(a - d)}, ${((ratio - 1) * 100).toFixed(1)} %): ` +
      `target within ${TARGET * 100} % ${ratio <= 1 + TARGET ? 'met' : 'NOT met'}`,
  );
} finally {
  await fake.close();
  await rm(home, { recursive: true, force: true });
  await rm(project, { recursive: true, force: true });
}
