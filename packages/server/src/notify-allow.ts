import { ApiError, type FieldIssue } from './problem.js';
import type { SprintConfigBody } from './schemas.js';

/**
 * The notification URLs a request may set (`config.notify[].webhook` / `slack`): the
 * server posts to them, so a request could otherwise make it reach any address,
 * internal ones included. Each entry is `*` (any URL) or an http(s) URL prefix:
 * `https://hooks.slack.com/` allows every URL under it, `https://ci.example.com/hooks`
 * that path and the paths below it. Scheme, host and port must match exactly.
 */
export interface NotifyUrlAllowlist {
  /** The entries as given, for messages. */
  readonly entries: readonly string[];
  allows(url: string): boolean;
}

interface Prefix {
  protocol: string;
  host: string;
  path: string;
}

/**
 * Reads the server's allowlist (`--allow-notify-urls`, `SPRINT_ALLOW_NOTIFY_URLS`).
 * Empty: no notification URL is taken from requests.
 * @throws TypeError naming the entry that is neither `*` nor an http(s) URL without query.
 */
export function notifyUrlAllowlist(entries: readonly string[]): NotifyUrlAllowlist {
  const any = entries.includes('*');
  const prefixes: Prefix[] = entries
    .filter((e) => e !== '*')
    .map((entry) => {
      let url: URL | undefined;
      try {
        url = new URL(entry);
      } catch {
        url = undefined;
      }
      if (
        !url ||
        (url.protocol !== 'https:' && url.protocol !== 'http:') ||
        url.search ||
        url.hash ||
        url.username ||
        url.password
      ) {
        throw new TypeError(
          `Not a notification URL prefix: ${JSON.stringify(entry)}. Give http(s) URLs without query or credentials, such as https://hooks.slack.com/, or * for any URL.`,
        );
      }
      return { protocol: url.protocol, host: url.host, path: url.pathname };
    });
  return {
    entries: [...entries],
    allows(text) {
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        return false;
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
      if (any) return true;
      return prefixes.some(
        (p) =>
          p.protocol === url.protocol &&
          p.host === url.host &&
          (p.path.endsWith('/')
            ? url.pathname.startsWith(p.path)
            : url.pathname === p.path || url.pathname.startsWith(`${p.path}/`)),
      );
    },
  };
}

/** A list as the flag and the variable take it: entries split at commas or white space. */
export function splitAllowlist(text: string | undefined): string[] {
  return (text ?? '').split(/[\s,]+/).filter(Boolean);
}

/**
 * Refuses (422 `NOTIFY_URL_NOT_ALLOWED`, naming each field and the fix) the webhook and
 * Slack URLs of a request's `config.notify` the server does not allow.
 */
export function checkNotifyUrls(
  config: SprintConfigBody | undefined,
  allowlist: NotifyUrlAllowlist,
): void {
  const issues: FieldIssue[] = [];
  config?.notify?.forEach((target, i) => {
    for (const kind of ['webhook', 'slack'] as const) {
      const url = target[kind];
      if (url !== undefined && !allowlist.allows(url)) {
        issues.push({
          field: `config.notify.${i}.${kind}`,
          message: allowlist.entries.length
            ? `${url} is not among the URLs this server may post to (${allowlist.entries.join(', ')}); its operator can add it with --allow-notify-urls or SPRINT_ALLOW_NOTIFY_URLS`
            : 'this server takes no notification URLs in requests (it would post wherever a request says, internal addresses included); its operator can allow some with sprint serve --allow-notify-urls https://hooks.example.com/ (or SPRINT_ALLOW_NOTIFY_URLS), or make it a target of every sprint the server runs (SPRINT_NOTIFY_WEBHOOK, SPRINT_NOTIFY_SLACK)',
        });
      }
    }
  });
  if (issues.length) {
    throw new ApiError(
      422,
      'NOTIFY_URL_NOT_ALLOWED',
      `Notification URL not allowed: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
      { issues },
    );
  }
}
