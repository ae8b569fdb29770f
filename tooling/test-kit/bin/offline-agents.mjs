#!/usr/bin/env node
// Try the claude, codex, gemini and opencode agents offline: starts the four
// scripted fakes of @sprint/test-kit on 127.0.0.1 (every request gets a
// "completed" task report), writes each CLI's settings into a fresh HOME, and
// prints the environment to export. Stop with Ctrl-C.
//
//   ./dev turbo build --filter @sprint/test-kit                        # pnpm may be only in .toolchain/bin
//   node tooling/test-kit/bin/offline-agents.mjs > /tmp/offline.env   # keeps running
//   . /tmp/offline.env && sprint run --agent codex                    # in another terminal
import { existsSync, mkdtempSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  claudeTestEnv,
  codexTestEnv,
  findAgentBin,
  geminiTestEnv,
  opencodeTestEnv,
  startFakeAnthropic,
  startFakeGemini,
  startFakeOpenAIChat,
  startFakeOpenAIResponses,
} from '../dist/index.js';

const here = import.meta.dirname;
const report = {
  status: 'completed',
  summary: 'Done (offline fake: no model was called).',
  deferred_items: [],
  files_changed: [],
};
// codex's --output-schema wants every field, human_needed as null; claude's wants it left out.
const text = JSON.stringify({ ...report, human_needed: null });
/** Logs which model each CLI asked for, so the pricing can be checked against it. */
const logged = (name, reply) => (request) => {
  const model = request.body?.model ?? request.path.match(/models\/([^:]+):/)?.[1] ?? '?';
  process.stderr.write(`${name}: ${request.method} ${request.path.split('?')[0]} model=${model}\n`);
  return reply;
};

const fakes = {
  claude: await startFakeAnthropic(logged('claude', { type: 'structured-output', output: report })),
  codex: await startFakeOpenAIResponses(logged('codex', { type: 'message', text })),
  gemini: await startFakeGemini(logged('gemini', { type: 'text', text })),
  opencode: await startFakeOpenAIChat(logged('opencode', { type: 'text', text })),
};
// One HOME for all four CLIs: each writes its own settings folder in it.
const home = mkdtempSync(join(tmpdir(), 'sprint-offline-home-'));
const env = {
  ...claudeTestEnv({ baseUrl: fakes.claude.url, home }),
  ...codexTestEnv({ baseUrl: fakes.codex.baseUrl, home }),
  ...geminiTestEnv({ baseUrl: fakes.gemini.url, home }),
  ...opencodeTestEnv({ baseUrl: fakes.opencode.baseUrl, home }),
};
const packages = {
  claude: '@anthropic-ai/claude-code',
  codex: '@openai/codex',
  gemini: '@google/gemini-cli',
  opencode: 'opencode-ai',
};
for (const [name, pkg] of Object.entries(packages)) {
  try {
    env[`SPRINT_${name.toUpperCase()}_BIN`] = findAgentBin(
      name,
      join(here, `../../../packages/agents-${name}`),
      pkg,
    );
  } catch {
    process.stderr.write(`(${name}: no CLI in node_modules; the one on PATH is used)\n`);
  }
}
// PATH stays the caller's; the rest is what the CLIs need to reach the fakes. The CLIs
// get a fresh HOME; sprint keeps its own signing keys and git its identity from yours.
delete env.PATH;
env.SPRINT_STATE_HOME =
  process.env.SPRINT_STATE_HOME ??
  join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'sprint');
const gitConfig = process.env.GIT_CONFIG_GLOBAL ?? join(homedir(), '.gitconfig');
if (existsSync(gitConfig)) env.GIT_CONFIG_GLOBAL = gitConfig;
const quote = (v) => `'${String(v).replaceAll("'", "'\\''")}'`;
for (const [key, value] of Object.entries(env))
  process.stdout.write(`export ${key}=${quote(value)}\n`);
process.stderr.write(`fakes on 127.0.0.1, HOME ${home}; Ctrl-C stops them\n`);
const stop = async () => {
  await Promise.all(Object.values(fakes).map((f) => f.close()));
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
