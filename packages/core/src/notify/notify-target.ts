import { z } from 'zod';
import { NOTIFY_EVENTS } from './notify-events.js';

export { NOTIFY_EVENTS };

const NotifyEventSchema = z.enum(NOTIFY_EVENTS);
export type NotifyEvent = z.infer<typeof NotifyEventSchema>;

/**
 * The events a target gets when it names none: the ones that need a person's
 * attention. `task-failed` and `rate-limit-wait` (retried on their own) are opt-in.
 */
export const DEFAULT_NOTIFY_EVENTS: readonly NotifyEvent[] = Object.freeze([
  'completed',
  'blocked',
  'needs-human',
  'limit',
  'tamper',
]);

const common = {
  /** The events this target wants (default {@link DEFAULT_NOTIFY_EVENTS}). */
  events: z.array(NotifyEventSchema).optional(),
};

/**
 * Where notifications go: a signed JSON POST (`webhook`), a Slack incoming
 * webhook (`slack`), or a local command that reads the event as JSON on stdin.
 * SPRINT.yaml writes them as `- webhook: <url>`, `- slack: <url>`, `- command: <cmd>`.
 */
export const NotifyTargetSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('webhook'),
    url: z.string(),
    /** The HMAC-SHA256 key, as written (prefer `secretEnv`). */
    secret: z.string().optional(),
    /** The name of the environment variable holding the key. */
    secretEnv: z.string().optional(),
    ...common,
  }),
  z.object({ kind: z.literal('slack'), url: z.string(), ...common }),
  z.object({ kind: z.literal('command'), command: z.string(), ...common }),
]);
export type NotifyTarget = z.infer<typeof NotifyTargetSchema>;

/** The events `target` gets. */
export function eventsOf(target: NotifyTarget): readonly NotifyEvent[] {
  return target.events ?? DEFAULT_NOTIFY_EVENTS;
}
