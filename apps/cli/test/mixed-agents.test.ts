import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ClaudeCodeAgent } from '@sprint/agents-claude';
import { CodexAgent } from '@sprint/agents-codex';
import { GeminiAgent } from '@sprint/agents-gemini';
import {
  buildAgentRegistry,
  gitCommitHook,
  SprintDirectoryStore,
  SprintRunner,
  TaskSchema,
} from '@sprint/core';
import {
  claudeTestEnv,
  codexTestEnv,
  findAgentBin,
  findClaudeBin,
  geminiTestEnv,
  startFakeAnthropic,
  startFakeGemini,
  startFakeOpenAIResponses,
} from '@sprint/test-kit';
import { afterEach, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const git = async (cwd: string, ...args: string[]) =>
  (
    await exec(
      'git',
      [
        '-c',
        'user.name=test',
        '-c',
        'user.email=test@localhost',
        '-c',
        'init.defaultBranch=main',
        ...args,
      ],
      { cwd },
    )
  ).stdout;

const packages = join(import.meta.dirname, '..', '..', '..', 'packages');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const report = (file: string) => ({
  status: 'completed',
  summary: `Wrote ${file}.`,
  deferred_items: [],
  files_changed: [file],
});

describe('one sprint, three agents chosen by task type', () => {
  it('runs claude, codex and gemini tasks with their real CLIs, each committed', async () => {
    const home = await mkdtemp(join(tmpdir(), 'mixed-home-'));
    const project = await mkdtemp(join(tmpdir(), 'mixed-project-'));
    const claudeFake = await startFakeAnthropic([
      { type: 'tool-use', name: 'Bash', input: { command: 'echo docs > docs.txt' } },
      { type: 'structured-output', output: report('docs.txt') },
    ]);
    const codexFake = await startFakeOpenAIResponses([
      { type: 'shell', command: 'echo refactor > refactor.txt' },
      { type: 'message', text: JSON.stringify({ ...report('refactor.txt'), human_needed: null }) },
    ]);
    const geminiFake = await startFakeGemini([
      { type: 'shell', command: 'echo tests > tests.txt' },
      { type: 'text', text: JSON.stringify(report('tests.txt')) },
    ]);
    cleanups.push(async () => {
      await Promise.all([claudeFake.close(), codexFake.close(), geminiFake.close()]);
      await rm(home, { recursive: true, force: true });
      await rm(project, { recursive: true, force: true });
    });
    await git(project, 'init', '-q');
    await writeFile(join(project, 'README.md'), '# demo\n');
    await git(project, 'add', '-A');
    await git(project, 'commit', '-q', '-m', 'initial');

    const store = new SprintDirectoryStore({ root: join(project, '.claude', 'sprints') });
    const task = (
      id: string,
      type: string,
      dependsOn: string[] = [],
      fields: Record<string, string> = {},
    ) =>
      TaskSchema.parse({
        id,
        type,
        dependsOn,
        description: `Do ${id}`,
        fields: { description: `Do ${id}`, ...fields },
      });
    const sprintId = await store.create({
      name: 'Mixed agents',
      goals: ['three agents, one sprint'],
      config: {
        'auto-commit': true,
        agents: { 'update-docs': 'claude', refactor: 'codex', test: 'gemini' },
      },
      tasks: [
        task('docs', 'update-docs', [], { 'doc-path': 'docs.txt', changes: 'write it' }),
        task('refactor', 'refactor', ['docs'], { 'target-path': 'refactor.txt', goal: 'write it' }),
        task('tests', 'test', ['refactor']),
      ],
    });
    const snapshot = await store.load(sprintId);
    const registry = buildAgentRegistry({
      config: snapshot.definition.config,
      factories: {
        claude: () =>
          new ClaudeCodeAgent({
            binary: findClaudeBin(import.meta.dirname),
            inheritEnv: false,
            env: claudeTestEnv({ baseUrl: claudeFake.url, home: join(home, 'claude') }),
          }),
        codex: () =>
          new CodexAgent({
            binary: findAgentBin('codex', join(packages, 'agents-codex'), '@openai/codex'),
            inheritEnv: false,
            env: codexTestEnv({ baseUrl: codexFake.baseUrl, home: join(home, 'codex') }),
          }),
        gemini: () =>
          new GeminiAgent({
            binary: findAgentBin('gemini', join(packages, 'agents-gemini'), '@google/gemini-cli'),
            inheritEnv: false,
            env: geminiTestEnv({ baseUrl: geminiFake.url, home: join(home, 'gemini') }),
          }),
      },
    });
    const runner = new SprintRunner({ store, agents: registry, hooks: [gitCommitHook()] });
    const result = await runner.run(sprintId);

    expect(result.status, JSON.stringify(result.stopReason)).toBe('completed');
    for (const [file, text] of [
      ['docs.txt', 'docs'],
      ['refactor.txt', 'refactor'],
      ['tests.txt', 'tests'],
    ]) {
      expect(await readFile(join(project, file as string), 'utf8')).toBe(`${text}\n`);
    }
    const subjects = (await git(project, 'log', '--format=%s')).trim().split('\n');
    expect(subjects.slice(0, 3).reverse()).toEqual([
      expect.stringContaining('docs'),
      expect.stringContaining('refactor'),
      expect.stringContaining('tests'),
    ]);
    // Each provider saw exactly its own task.
    expect(JSON.stringify(claudeFake.messageRequests()[0]?.body)).toContain('# Task docs');
    expect(JSON.stringify(codexFake.responseRequests()[0]?.body)).toContain('# Task refactor');
    expect(JSON.stringify(geminiFake.streamRequests()[0]?.body)).toContain('# Task tests');
    // Token-priced agents say their cost is an estimate.
    const byTask = Object.fromEntries(result.agentResults.map((r) => [r.taskId, r]));
    expect(byTask.refactor?.agent).toBe('codex');
    expect(byTask.tests?.agent).toBe('gemini');
    expect(byTask.refactor?.costEstimated).toBe(true);
    expect(byTask.refactor?.costUsd).toBeGreaterThan(0);
  }, 600_000);
});
