import {
  checkKeys,
  describe,
  type FieldCursor,
  isRecord,
  oneOf,
  readString,
} from '../stores/directory/field-cursor.js';
import { NOTIFY_EVENTS } from './notify-events.js';
import type { NotifyEvent, NotifyTarget } from './notify-target.js';

const KINDS = ['webhook', 'slack', 'command'] as const;
const KEYS: Record<(typeof KINDS)[number], readonly string[]> = {
  webhook: ['webhook', 'events', 'secret', 'secret-env'],
  slack: ['slack', 'events'],
  command: ['command', 'events'],
};
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Reads SPRINT.yaml's `config.notify`: a list of targets, each one map with
 * exactly one of `webhook: <url>`, `slack: <url>` or `command: <cmd>`, and
 * optionally `events: [...]`, and for webhooks `secret` or `secret-env`.
 * Every problem is reported at `c` (file, line, field and fix).
 */
export function readNotify(raw: unknown, c: FieldCursor): NotifyTarget[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) {
    c.issue(
      `expected a list of targets, found ${describe(raw)}`,
      'write notify as a list, for example:\n  notify:\n    - webhook: https://example.com/hooks/sprint\n      events: [completed, needs-human]',
    );
    return undefined;
  }
  const targets: NotifyTarget[] = [];
  raw.forEach((entry, i) => {
    const t = readTarget(entry, c.at(i));
    if (t) targets.push(t);
  });
  return targets;
}

function readTarget(entry: unknown, c: FieldCursor): NotifyTarget | undefined {
  if (!isRecord(entry)) {
    c.issue(
      `expected a target map, found ${describe(entry)}`,
      'write each target as "- webhook: <url>", "- slack: <url>" or "- command: <command>"',
    );
    return undefined;
  }
  const kinds = KINDS.filter((k) => entry[k] !== undefined);
  if (kinds.length !== 1) {
    c.issue(
      kinds.length === 0
        ? 'a notify target needs webhook, slack or command'
        : `a notify target has one kind, found ${kinds.join(' and ')}`,
      'write each target as "- webhook: <url>", "- slack: <url>" or "- command: <command>"',
    );
    return undefined;
  }
  const kind = kinds[0]!;
  checkKeys(entry, c, KEYS[kind], { strict: true, what: `${kind} target key` });
  const events = readEvents(entry.events, c.at('events'));
  const where = readString(entry[kind], c.at(kind));
  if (where === undefined) return undefined;
  if (kind === 'command') {
    if (!where.trim()) {
      c.at('command').issue('the command is empty', 'write the command to run, e.g. ./notify.sh');
      return undefined;
    }
    return { kind, command: where, ...(events && { events }) };
  }
  if (!isHttpUrl(where)) {
    c.at(kind).issue(
      `expected an http(s) URL, found ${describe(where)}`,
      `write ${kind}: https://...`,
    );
    return undefined;
  }
  if (kind === 'slack') return { kind, url: where, ...(events && { events }) };
  const secret = readString(entry.secret, c.at('secret'));
  const secretEnv = readString(entry['secret-env'], c.at('secret-env'), 'SPRINT_WEBHOOK_SECRET');
  if (secret !== undefined && secretEnv !== undefined) {
    c.at('secret').issue(
      'a webhook has secret or secret-env, not both',
      'keep secret-env (the key stays out of the file)',
    );
  }
  if (secretEnv !== undefined && !ENV_NAME.test(secretEnv)) {
    c.at('secret-env').issue(
      `expected the name of an environment variable, found ${describe(secretEnv)}`,
      'write secret-env: SPRINT_WEBHOOK_SECRET and export the key in that variable',
    );
  }
  return {
    kind,
    url: where,
    ...(secret !== undefined && { secret }),
    ...(secretEnv !== undefined && { secretEnv }),
    ...(events && { events }),
  };
}

function readEvents(raw: unknown, c: FieldCursor): NotifyEvent[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list)) {
    c.issue(
      `expected a list of events, found ${describe(raw)}`,
      `write events: [${NOTIFY_EVENTS.slice(0, 3).join(', ')}]`,
    );
    return undefined;
  }
  const events: NotifyEvent[] = [];
  list.forEach((e, i) => {
    if (typeof e === 'string' && (NOTIFY_EVENTS as readonly string[]).includes(e)) {
      events.push(e as NotifyEvent);
    } else {
      c.at(i).issue(
        `unknown event ${describe(e)}`,
        oneOf(typeof e === 'string' ? e : '', NOTIFY_EVENTS),
      );
    }
  });
  return events;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Targets as SPRINT.yaml writes them (the inverse of {@link readNotify}). */
export function notifyToYaml(targets: readonly unknown[]): unknown[] {
  return targets.map((item) => {
    // Already in SPRINT.yaml's spelling (no `kind`): keep as given.
    if (!isRecord(item) || typeof item.kind !== 'string') return item;
    const t = item as NotifyTarget;
    const out: Record<string, unknown> =
      t.kind === 'command' ? { command: t.command } : { [t.kind]: t.url };
    if (t.kind === 'webhook') {
      if (t.secret !== undefined) out.secret = t.secret;
      if (t.secretEnv !== undefined) out['secret-env'] = t.secretEnv;
    }
    if (t.events) out.events = [...t.events];
    return out;
  });
}
