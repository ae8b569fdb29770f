import { TASK_RESULT_JSON_SCHEMA } from '@sprint/core/agent-kit';

/**
 * The task result schema in the form OpenAI's strict structured outputs take
 * (`codex exec --output-schema` sends it with `strict: true`): every property
 * required, so the optional `human_needed` becomes "an object or null".
 */
export const CODEX_RESULT_JSON_SCHEMA = {
  ...TASK_RESULT_JSON_SCHEMA,
  required: [...TASK_RESULT_JSON_SCHEMA.required, 'human_needed'],
  properties: {
    ...TASK_RESULT_JSON_SCHEMA.properties,
    human_needed: {
      anyOf: [
        {
          type: 'object',
          additionalProperties: false,
          required: ['reason', 'details', 'options'],
          properties: {
            ...TASK_RESULT_JSON_SCHEMA.properties.human_needed.properties,
            details: {
              type: ['string', 'null'],
              description: 'What you found and why you cannot decide.',
            },
          },
        },
        { type: 'null' },
      ],
      description: TASK_RESULT_JSON_SCHEMA.properties.human_needed.description,
    },
  },
} as const;
