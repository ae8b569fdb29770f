import type { AgentContext } from '../agents/agent.js';
import { taskLabel } from '../model/task-info.js';

/** What the prompt is built from: the parts of an agent's context that are data. */
export type PromptInput = Pick<
  AgentContext,
  | 'task'
  | 'sprint'
  | 'projectDir'
  | 'stateFiles'
  | 'attempt'
  | 'context'
  | 'previousResults'
  | 'humanAnswer'
  | 'humanQuestion'
  | 'previousError'
>;

/**
 * How the agent hands back its result: the claude CLI's `StructuredOutput`
 * tool, a final message the CLI holds to a JSON schema (codex
 * `--output-schema`), or a final message that must be one JSON object and is
 * checked only by the runner (CLIs without a schema option).
 */
export type ResultReporting = 'structured-output-tool' | 'schema-message' | 'final-json';

/**
 * Builds the prompt for one attempt at one task. Pure: the same input gives
 * the same text. The prompt holds the task with every field as written, the
 * sprint's name, goals and notes, the context files, the summaries of earlier
 * tasks, the human's answer when resuming, the verify command, the previous
 * attempt's error, the state files the agent must not touch, and how to report
 * the result through the `StructuredOutput` tool.
 */
export function buildTaskPrompt(
  input: PromptInput,
  reporting: ResultReporting = 'structured-output-tool',
): string {
  const { task, sprint } = input;
  const out: string[] = [];
  const section = (title: string, ...body: string[]) => {
    out.push(`## ${title}`, '', ...body, '');
  };

  out.push(
    `# Task ${task.id}: ${taskLabel(task)}`,
    '',
    `You are an autonomous coding agent working on one task of the sprint "${sprint.name}". ` +
      `Work in the project directory \`${input.projectDir}\`. Nobody watches this session: ` +
      'do the work, check it, then report the result as described at the end.',
    '',
  );

  const facts = [
    `- id: ${task.id}`,
    `- type: ${task.type}`,
    ...(task.title ? [`- title: ${task.title}`] : []),
    `- priority: ${task.priority}`,
    ...(task.dependsOn.length ? [`- depends on: ${task.dependsOn.join(', ')}`] : []),
  ];
  if (task.description) facts.push('', '### Description', '', task.description.trim());
  section(
    'The task',
    ...facts,
    '',
    'Every field of the task as written in the sprint:',
    '',
    fence('json', JSON.stringify(task.fields, null, 2)),
  );

  const sprintLines = [`Name: ${sprint.name}`];
  if (sprint.goals.length) sprintLines.push('', 'Goals:', ...sprint.goals.map((g) => `- ${g}`));
  if (sprint.notes?.trim()) sprintLines.push('', 'Notes:', '', sprint.notes.trim());
  section('The sprint', ...sprintLines);

  if (input.context.shared?.trim()) {
    section('Shared context (context/_shared.md)', input.context.shared.trim());
  }
  if (input.context.task?.trim()) {
    section(`Context for this task (context/${task.id}.md)`, input.context.task.trim());
  }

  if (input.previousResults.length) {
    section(
      'Tasks done before this one',
      ...input.previousResults.map(
        (r) =>
          `- ${r.taskId}${r.title ? ` (${r.title})` : ''}: ${r.summary.trim() || '(no summary)'}`,
      ),
    );
  }

  if (input.humanAnswer !== undefined) {
    const lines = [
      'An earlier attempt stopped to ask a person. Their answer is final; act on it.',
      '',
    ];
    if (input.humanQuestion) lines.push(`Question: ${input.humanQuestion}`, '');
    lines.push(`Answer: ${input.humanAnswer}`);
    section("The human's answer", ...lines);
  }

  if (input.attempt > 1 || input.previousError) {
    const lines = [`This is attempt ${input.attempt} at this task.`];
    if (input.previousError) {
      lines.push('The previous attempt failed with:', '', fence('', input.previousError.trim()));
      lines.push('Find the cause, fix it, and do not repeat what failed.');
    }
    section('Previous attempt', ...lines);
  }

  if (task.verify) {
    section(
      'How the task is checked',
      'After you report `completed`, the runner runs this command in the project directory, ' +
        'and the task counts as done only if it exits 0:',
      '',
      fence('sh', task.verify),
      'Run it yourself before you report `completed`.',
    );
  }

  const rules = [
    '- Do only this task. Note anything else worth doing in `deferred_items` instead of doing it.',
  ];
  if (input.stateFiles.length) {
    rules.push(
      "- The sprint runner owns the sprint's state files and is their only writer. " +
        'Do not create, edit, move or delete them, not even to mark this task done:',
      ...input.stateFiles.map((f) => `  - ${f}`),
    );
  } else {
    rules.push(
      "- The sprint runner owns the sprint's state; do not edit sprint or progress files.",
    );
  }
  if (sprint.config.autoCommit) {
    rules.push('- Do not commit: the runner commits your changes after the task.');
  }
  section('Rules', ...rules);

  const how = {
    'structured-output-tool': ['When you are done, call the `StructuredOutput` tool once with:'],
    'schema-message': [
      'When you are done, your final message is the result: one JSON object (the CLI holds it to a schema) with:',
    ],
    'final-json': [
      'When you are done, end with a final message that is exactly one JSON object and nothing else ' +
        '(no prose, no code fence), with:',
    ],
  }[reporting];
  section(
    'Reporting the result',
    ...how,
    '',
    '- `status`: `completed` when the task is done and checked; `failed` when you tried and could not do it; ' +
      '`needs-human` when a person must decide or act before you can go on; ' +
      '`blocked` when something outside the task prevents it.',
    '- `summary`: what you did and the outcome, in a few sentences.',
    '- `deferred_items`: work you noticed but left for later (may be empty).',
    '- `files_changed`: the paths you created, changed or deleted, relative to the project.',
    reporting === 'structured-output-tool'
      ? '- `human_needed`: only with `needs-human`: `reason` (the question), `details`, and `options` (the choices you see).'
      : '- `human_needed`: with `needs-human`, `reason` (the question), `details`, and `options` (the choices you see); otherwise null.',
    ...(reporting === 'final-json'
      ? [
          '',
          'For example: {"status":"completed","summary":"Added the endpoint and its test.","deferred_items":[],"files_changed":["src/api.ts"],"human_needed":null}',
          'Without that object the task counts as failed, whatever you did.',
        ]
      : []),
    '',
    'Ask a person (`needs-human`) rather than guess when the task is ambiguous in a way that matters.',
  );

  return `${out.join('\n').trimEnd()}\n`;
}

function fence(lang: string, body: string): string {
  const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return `${ticks}${lang}\n${body}\n${ticks}`;
}
