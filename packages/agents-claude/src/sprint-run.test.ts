import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  AgentRegistry,
  gitCommitHook,
  SprintDirectoryStore,
  SprintRunner,
  TaskSchema,
} from '@sprint/core';
import {
  claudeTestEnv,
  type FakeReply,
  type FakeRequest,
  findClaudeBin,
  startFakeAnthropic,
} from '@sprint/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ClaudeCodeAgent } from './claude-code-agent.js';

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

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * A fake model that does each task in two turns: it runs Bash to write
 * `<task-id>.txt`, then, once it sees the tool's result, reports completed.
 */
function taskModel(request: FakeRequest): FakeReply {
  const body = request.body as { messages: Array<{ content: unknown }> };
  const text = JSON.stringify(body.messages);
  const taskId = /# Task ([A-Za-z0-9._-]+):/.exec(text)?.[1];
  if (!taskId) return { type: 'error', status: 400, message: 'no task in the prompt' };
  const last = JSON.stringify(body.messages.at(-1)?.content ?? '');
  if (!last.includes('"tool_result"')) {
    return {
      type: 'tool-use',
      name: 'Bash',
      input: { command: `echo ${taskId} > ${taskId}.txt`, description: `Write ${taskId}.txt` },
    };
  }
  return {
    type: 'structured-output',
    output: {
      status: 'completed',
      summary: `Wrote ${taskId}.txt.`,
      deferred_items: [`Polish ${taskId}`],
      files_changed: [`${taskId}.txt`],
    },
  };
}

describe('a whole sprint through SprintRunner with the real claude CLI', () => {
  it('runs three tasks: three files, three commits, PROGRESS.yaml completed with summaries', async () => {
    const fake = await startFakeAnthropic(taskModel);
    const home = await mkdtemp(join(tmpdir(), 'sprint-claude-home-'));
    const project = await mkdtemp(join(tmpdir(), 'sprint-claude-project-'));
    cleanups.push(async () => {
      await fake.close();
      await rm(home, { recursive: true, force: true });
      await rm(project, { recursive: true, force: true });
    });
    await git(project, 'init', '-q');
    await writeFile(join(project, 'README.md'), '# demo\n');
    await git(project, 'add', '-A');
    await git(project, 'commit', '-q', '-m', 'initial');

    const store = new SprintDirectoryStore({ root: join(project, '.claude', 'sprints') });
    const task = (id: string, priority: string, dependsOn: string[] = []) =>
      TaskSchema.parse({
        id,
        type: 'custom',
        priority,
        dependsOn,
        description: `Write ${id}.txt`,
        fields: { description: `Write ${id}.txt`, 'done-when': `${id}.txt exists` },
      });
    const sprintId = await store.create({
      name: 'Three files',
      goals: ['Write three files'],
      tasks: [
        task('custom-one', 'high'),
        task('custom-two', 'medium', ['custom-one']),
        task('custom-three', 'low', ['custom-two']),
      ],
    });
    const sprintDir = join(project, '.claude', 'sprints', sprintId);
    await writeFile(join(sprintDir, 'context', '_shared.md'), 'Files hold their task id.');

    const agent = new ClaudeCodeAgent({
      binary: findClaudeBin(import.meta.dirname),
      inheritEnv: false,
      env: claudeTestEnv({ baseUrl: fake.url, home }),
    });
    const runner = new SprintRunner({
      store,
      agents: new AgentRegistry({ default: agent }),
      hooks: [gitCommitHook()],
    });
    const result = await runner.run(sprintId);

    expect(result.status).toBe('completed');
    for (const id of ['custom-one', 'custom-two', 'custom-three']) {
      expect(await readFile(join(project, `${id}.txt`), 'utf8')).toBe(`${id}\n`);
    }

    const subjects = (await git(project, 'log', '--format=%s')).trim().split('\n');
    expect(subjects).toHaveLength(4);
    expect(subjects.slice(0, 3).reverse()).toEqual([
      expect.stringContaining('custom-one'),
      expect.stringContaining('custom-two'),
      expect.stringContaining('custom-three'),
    ]);
    for (const [i, id] of ['custom-three', 'custom-two', 'custom-one'].entries()) {
      const files = (await git(project, 'show', '--name-only', '--format=', `HEAD~${i}`)).trim();
      expect(files.split('\n')).toContain(`${id}.txt`);
      expect(files).not.toContain('PROGRESS.yaml'); // the runner's state is not the agent's work
    }

    const progress = parse(await readFile(join(sprintDir, 'PROGRESS.yaml'), 'utf8'));
    expect(progress.status).toBe('completed');
    expect(
      progress.completed.map((t: { id: string; summary: string }) => [t.id, t.summary]),
    ).toEqual([
      ['custom-one', 'Wrote custom-one.txt.'],
      ['custom-two', 'Wrote custom-two.txt.'],
      ['custom-three', 'Wrote custom-three.txt.'],
    ]);
    expect(progress['deferred-items']).toEqual([
      'Polish custom-one',
      'Polish custom-two',
      'Polish custom-three',
    ]);

    // Each agent got the shared context, the state files it must not touch, and earlier summaries.
    const lastPrompt = JSON.stringify(fake.messageRequests().at(-1)?.body);
    expect(lastPrompt).toContain('Files hold their task id.');
    expect(lastPrompt).toContain('PROGRESS.yaml');
    expect(lastPrompt).toContain('- custom-two (Write custom-two.txt): Wrote custom-two.txt.');
  }, 240_000); // three real CLI runs: 26 s alone here, far more beside another suite
});
