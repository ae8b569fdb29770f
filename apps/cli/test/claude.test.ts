import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  claudeTestEnv,
  type FakeAnthropic,
  findClaudeBin,
  startFakeAnthropic,
} from '@sprint/test-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));

let fake: FakeAnthropic | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function claudeSprint(cwd: string): string {
  const dir = join(cwd, '.claude/sprints/2026-01-15_claude');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'SPRINT.yaml'),
    'sprint-id: 2026-01-15_claude\nname: claude\nconfig:\n  auto-commit: false\n  agent: claude\n',
  );
  writeFileSync(
    join(dir, 'PROGRESS.yaml'),
    [
      'sprint-id: 2026-01-15_claude',
      'status: not-started',
      'queue:',
      '  - id: custom-greeting',
      '    type: custom',
      '    priority: high',
      '    description: Write hello to out.txt',
      '    done-when: out.txt holds hello',
      'completed: []',
      'blocked: []',
      '',
    ].join('\n'),
  );
  return dir;
}

describe('with the real claude CLI against a fake Messages API', () => {
  it('exits 2 when the agent needs a human, shows the question, and resume --answer finishes', async () => {
    const cwd = tempDir();
    const dir = claudeSprint(cwd);
    const usage = { input_tokens: 100, output_tokens: 20 };
    fake = await startFakeAnthropic((_request, index) => {
      if (index === 0) {
        return {
          type: 'tool-use',
          name: 'Bash',
          input: { command: 'echo hello > out.txt', description: 'write the greeting' },
          usage,
        };
      }
      if (index === 1) {
        return {
          type: 'structured-output',
          output: {
            status: 'needs-human',
            summary: 'Wrote out.txt but the wording is unclear.',
            deferred_items: ['Translate the greeting'],
            files_changed: ['out.txt'],
            human_needed: {
              reason: 'Should the greeting be formal?',
              details: 'The task does not say.',
              options: ['formal', 'casual'],
            },
          },
          usage,
        };
      }
      return {
        type: 'structured-output',
        output: {
          status: 'completed',
          summary: 'Kept the casual greeting.',
          deferred_items: [],
          files_changed: [],
        },
        usage,
      };
    });
    const home = mkdtempSync(join(tmpdir(), 'sprint-cli-home-'));
    const env = {
      ...claudeTestEnv({ baseUrl: fake.url, home }),
      SPRINT_CLAUDE_BIN: findClaudeBin(here),
    };

    const run = await runCli(['run', dir], { cwd, env, cleanEnv: true, timeoutMs: 90_000 });
    expect(run.code, run.stdout + run.stderr).toBe(2);
    expect(readFileSync(join(cwd, 'out.txt'), 'utf8')).toBe('hello\n');
    expect(run.stdout).toContain(
      'Needs a human (task custom-greeting): Should the greeting be formal?',
    );
    expect(run.stdout).toContain('1. formal');
    expect(run.stdout).toContain('resume .claude/sprints/2026-01-15_claude --answer');

    const status = await runCli(['status', dir], { cwd, env, cleanEnv: true });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('needs-human');
    expect(status.stdout).toContain('Should the greeting be formal?');
    expect(status.stdout).toContain('Translate the greeting');
    const report = JSON.parse(
      (await runCli(['status', dir, '--json'], { cwd, env, cleanEnv: true })).stdout,
    );
    expect(report.humanNeeded).toMatchObject({ reason: 'Should the greeting be formal?' });
    expect(report.tokens.input + report.tokens.output).toBeGreaterThan(0);
    expect(report.costUsd).toBeGreaterThan(0);

    const logs = await runCli(['logs', dir], { cwd, env, cleanEnv: true });
    expect(logs.stdout).toContain('tool Bash: ');
    expect(logs.stdout).toContain('echo hello > out.txt');

    const resumed = await runCli(['resume', dir, '--answer', 'casual', '--json'], {
      cwd,
      env,
      cleanEnv: true,
      timeoutMs: 90_000,
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ status: 'completed' });
    // The answer reached the agent.
    expect(JSON.stringify(fake.messageRequests().at(-1)?.body)).toContain('casual');
  });

  it('stops at --max-cost-usd once the spend reaches it (exit 1), showing tokens and cost', async () => {
    const cwd = tempDir();
    const dir = claudeSprint(cwd);
    const progress = join(dir, 'PROGRESS.yaml');
    writeFileSync(
      progress,
      readFileSync(progress, 'utf8').replace(
        'completed: []',
        [
          '  - id: custom-second',
          '    type: custom',
          '    description: A second task',
          '    done-when: never reached',
          'completed: []',
        ].join('\n'),
      ),
    );
    fake = await startFakeAnthropic(() => ({
      type: 'structured-output',
      output: { status: 'completed', summary: 'Done.', deferred_items: [], files_changed: [] },
      usage: { input_tokens: 5000, output_tokens: 1000 },
    }));
    const home = mkdtempSync(join(tmpdir(), 'sprint-cli-home-'));
    const env = {
      ...claudeTestEnv({ baseUrl: fake.url, home }),
      SPRINT_CLAUDE_BIN: findClaudeBin(here),
    };
    const run = await runCli(['run', dir, '--max-cost-usd', '0.000001', '--json'], {
      cwd,
      env,
      cleanEnv: true,
      timeoutMs: 90_000,
    });
    expect(run.code, run.stderr).toBe(1);
    const result = JSON.parse(run.stdout);
    expect(result.stopReason).toMatchObject({ kind: 'limit', limit: 'max-cost' });
    expect(result.stepsCompleted).toBe(1);
    expect(result.costUsd).toBeGreaterThan(0);
    expect(result.tokens.input).toBeGreaterThanOrEqual(5000);
    const status = await runCli(['status', dir], { cwd, env, cleanEnv: true });
    expect(status.stdout).toMatch(/Spent:\s+1 iteration, \$\d/);
    expect(status.stdout).toContain('limit reached (max-cost)');
  });
});
