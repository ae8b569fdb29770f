/**
 * What a notification target can ask to hear about. Apart from the schemas: reading
 * SPRINT.yaml checks names against it without loading zod.
 */
export const NOTIFY_EVENTS = [
  'completed',
  'blocked',
  'needs-human',
  'limit',
  'rate-limit-wait',
  'task-failed',
  'tamper',
] as const;
