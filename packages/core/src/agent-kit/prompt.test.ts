import { describe, expect, it } from 'vitest';
import { SprintConfigSchema, TaskSchema } from '../model/sprint.js';
import { buildTaskPrompt, type PromptInput } from './prompt.js';

function input(extra: Partial<PromptInput> = {}): PromptInput {
  return {
    task: TaskSchema.parse({
      id: 'refactor-parser',
      type: 'refactor',
      title: 'Split the parser',
      priority: 'high',
      dependsOn: ['custom-setup'],
      verify: 'pnpm test --filter parser',
      fields: {
        'target-path': 'src/parser.ts',
        goal: 'One file per grammar rule',
        constraints: ['no API change', 'keep tests green'],
      },
    }),
    sprint: {
      id: 's1',
      name: 'Parser cleanup',
      goals: ['Smaller files', 'Same behaviour'],
      notes: 'The parser is used by the CLI.',
      config: SprintConfigSchema.parse({}),
    },
    projectDir: '/work/project',
    stateFiles: [
      '/work/project/.sprints/s1/PROGRESS.yaml',
      '/work/project/.sprints/s1/events.jsonl',
    ],
    attempt: 1,
    context: {},
    previousResults: [],
    ...extra,
  };
}

describe('buildTaskPrompt', () => {
  it('holds the task with every field as written, and the sprint', () => {
    const p = buildTaskPrompt(input());
    expect(p).toContain('# Task refactor-parser: Split the parser');
    expect(p).toContain('- type: refactor');
    expect(p).toContain('- priority: high');
    expect(p).toContain('- depends on: custom-setup');
    expect(p).toContain('"target-path": "src/parser.ts"');
    expect(p).toContain('"goal": "One file per grammar rule"');
    expect(p).toContain('"no API change"');
    expect(p).toContain('Parser cleanup');
    expect(p).toContain('- Smaller files');
    expect(p).toContain('The parser is used by the CLI.');
    expect(p).toContain('/work/project');
  });

  it('says the runner owns the state files, names them, and asks for the structured result', () => {
    const p = buildTaskPrompt(input());
    expect(p).toMatch(/runner owns the sprint's state files/);
    expect(p).toContain('  - /work/project/.sprints/s1/PROGRESS.yaml');
    expect(p).toContain('  - /work/project/.sprints/s1/events.jsonl');
    expect(p).toMatch(/Do not create, edit, move or delete them/);
    expect(p).toContain('`StructuredOutput`');
    for (const field of ['status', 'summary', 'deferred_items', 'files_changed', 'human_needed']) {
      expect(p).toContain(`\`${field}\``);
    }
    expect(p).toContain('Do not commit'); // autoCommit is on by default
  });

  it('gives the verify command', () => {
    expect(buildTaskPrompt(input())).toMatch(/```sh\npnpm test --filter parser\n```/);
    const noVerify = input();
    noVerify.task = { ...noVerify.task, verify: undefined };
    expect(buildTaskPrompt(noVerify)).not.toContain('How the task is checked');
  });

  it('includes the context files and earlier summaries only when present', () => {
    const bare = buildTaskPrompt(input());
    expect(bare).not.toContain('Shared context');
    expect(bare).not.toContain('Tasks done before');
    const p = buildTaskPrompt(
      input({
        context: { shared: 'Use tabs.', task: 'The grammar is in docs/grammar.md.' },
        previousResults: [
          { taskId: 'custom-setup', title: 'Set up', summary: 'Added the test harness.' },
        ],
      }),
    );
    expect(p).toContain('## Shared context (context/_shared.md)\n\nUse tabs.');
    expect(p).toContain(
      '## Context for this task (context/refactor-parser.md)\n\nThe grammar is in docs/grammar.md.',
    );
    expect(p).toContain('- custom-setup (Set up): Added the test harness.');
  });

  it("gives the human's answer when resuming, and the previous attempt's error", () => {
    const p = buildTaskPrompt(
      input({
        attempt: 3,
        humanQuestion: 'Keep the old entry point?',
        humanAnswer: 'Yes, re-export it.',
        previousError: 'verify failed: 2 tests failed',
      }),
    );
    expect(p).toContain('Question: Keep the old entry point?');
    expect(p).toContain('Answer: Yes, re-export it.');
    expect(p).toContain('This is attempt 3 at this task.');
    expect(p).toContain('verify failed: 2 tests failed');
    expect(buildTaskPrompt(input())).not.toContain("human's answer");
  });

  it('is pure: the same input gives the same text', () => {
    expect(buildTaskPrompt(input())).toBe(buildTaskPrompt(input()));
  });

  it('fences text that itself holds backticks', () => {
    const p = buildTaskPrompt(input({ previousError: 'output:\n```\nboom\n```' }));
    expect(p).toContain('````\noutput:\n```\nboom\n```\n````');
  });
});
