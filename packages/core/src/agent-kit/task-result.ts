import { z } from 'zod';

/** The statuses an agent can report for a task. */
export const TASK_RESULT_STATUSES = ['completed', 'failed', 'needs-human', 'blocked'] as const;

/**
 * What the model must return through the CLI's `StructuredOutput` tool
 * (`--json-schema`). Success is decided from `status`, never from prose.
 */
export const TaskResultSchema = z.object({
  status: z.enum(TASK_RESULT_STATUSES),
  summary: z.string(),
  deferred_items: z.array(z.string()).default([]),
  files_changed: z.array(z.string()).default([]),
  human_needed: z
    .object({
      reason: z.string(),
      details: z.string().optional(),
      options: z.array(z.string()).default([]),
    })
    .optional(),
});
export type TaskResult = z.infer<typeof TaskResultSchema>;

/** The JSON Schema passed to `claude --json-schema`, the same contract as {@link TaskResultSchema}. */
export const TASK_RESULT_JSON_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['status', 'summary', 'deferred_items', 'files_changed'],
  properties: {
    status: {
      type: 'string',
      enum: [...TASK_RESULT_STATUSES],
      description:
        'completed: the task is done and checked. failed: you tried and could not do it. ' +
        'needs-human: a person must decide or act before you can go on (fill human_needed). ' +
        'blocked: something outside the task prevents it (missing access, broken environment).',
    },
    summary: {
      type: 'string',
      description:
        'What you did and the outcome, in a few sentences, for the next tasks and the report.',
    },
    deferred_items: {
      type: 'array',
      items: { type: 'string' },
      description: 'Work you noticed but left for later, one item per entry.',
    },
    files_changed: {
      type: 'array',
      items: { type: 'string' },
      description: 'Paths of the files you created, changed or deleted, relative to the project.',
    },
    human_needed: {
      type: 'object',
      additionalProperties: false,
      required: ['reason', 'options'],
      description: 'Only when status is needs-human: the question for the person.',
      properties: {
        reason: { type: 'string', description: 'The question or decision, in one sentence.' },
        details: { type: 'string', description: 'What you found and why you cannot decide.' },
        options: {
          type: 'array',
          items: { type: 'string' },
          description: 'The choices you see, if any.',
        },
      },
    },
  },
} as const;
