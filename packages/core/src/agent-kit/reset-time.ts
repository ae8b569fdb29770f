/**
 * Finds the time a usage or rate limit resets, when the CLI's message names
 * one. Understands `...|<epoch seconds>` (the CLI's "usage limit reached|1767225600"),
 * an ISO time, and a clock time such as `resets 3pm (Europe/Paris)` or
 * `resets at 10:30am`, taken as the next such time after `now` (in the named
 * zone, else UTC). Returns an ISO string, or undefined when none is named.
 */
export function findResetTime(text: string, now: Date = new Date()): string | undefined {
  const epoch = /\|\s*(\d{10,13})\b/.exec(text);
  if (epoch?.[1]) {
    const n = Number(epoch[1]);
    return new Date(n < 1e12 ? n * 1000 : n).toISOString();
  }

  const iso = /\b(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)/.exec(
    text,
  );
  if (iso?.[1]) {
    const t = Date.parse(iso[1].match(/Z|[+-]\d{2}:?\d{2}$/) ? iso[1] : `${iso[1]}Z`);
    if (!Number.isNaN(t)) return new Date(t).toISOString();
  }

  const clock =
    /\bresets?\s+(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\b(?:\s*\(([A-Za-z_]+(?:\/[A-Za-z_+-]+)*)\))?/i.exec(
      text,
    );
  if (clock?.[1]) {
    let hour = Number(clock[1]);
    const minute = Number(clock[2] ?? 0);
    const half = clock[3]?.toLowerCase();
    if (!half && clock[2] === undefined) return undefined; // a bare number is not a time
    if (half === 'pm' && hour < 12) hour += 12;
    if (half === 'am' && hour === 12) hour = 0;
    if (hour > 23 || minute > 59) return undefined;
    const zone = clock[4] && isTimeZone(clock[4]) ? clock[4] : 'UTC';
    return nextWallTime(now, hour, minute, zone).toISOString();
  }
  return undefined;
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC in ms at `at`. */
function zoneOffsetMs(at: Date, zone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
      .formatToParts(at)
      .map((p) => [p.type, Number(p.value)]),
  ) as Record<string, number>;
  const wall = Date.UTC(
    parts.year ?? 0,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    parts.hour ?? 0,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
  return wall - (at.getTime() - at.getMilliseconds());
}

/** The first instant after `now` whose wall clock in `zone` shows hour:minute. */
function nextWallTime(now: Date, hour: number, minute: number, zone: string): Date {
  const offset = zoneOffsetMs(now, zone);
  const local = new Date(now.getTime() + offset);
  let candidate =
    Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate(), hour, minute) -
    offset;
  if (candidate <= now.getTime()) candidate += 24 * 3600_000;
  return new Date(candidate);
}
