/** `0:07`, `12:30`, `1:02:03`: a running clock. */
export function clock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** `$0.0000` below a cent, `$1.23` above. */
export function usd(amount: number): string {
  return amount > 0 && amount < 0.01 ? `$${amount.toFixed(4)}` : `$${amount.toFixed(2)}`;
}

/** `950`, `12.3k`, `4.5M`. */
export function count(n: number): string {
  if (n < 1000) return String(Math.round(n));
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

/** `[██████░░░░] 3/5` */
export function progressBar(done: number, total: number, width = 20): string {
  const filled = total > 0 ? Math.round((done / total) * width) : 0;
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${done}/${total}`;
}

/** Cuts a line to fit, marking the cut. */
export function truncate(text: string, width: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (width <= 1) return '';
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

/** An ANSI escape sequence (colour, cursor movement), matched where `lastIndex` says. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape character is the point
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/y;

function escapeAt(line: string, i: number): string | undefined {
  ANSI.lastIndex = i;
  return ANSI.exec(line)?.[0];
}

/**
 * Cuts one line to `width` visible characters, marking the cut with `…`.
 * Unlike `truncate`, keeps the line's spacing and its colours, and closes a
 * colour the cut leaves open: for redrawing a region in place, where a line
 * that wraps would leave a stale row behind.
 */
export function cutToWidth(line: string, width: number): string {
  if (visibleLength(line) <= width) return line;
  if (width < 1) return '';
  let out = '';
  let shown = 0;
  let styled = false;
  for (let i = 0; i < line.length; ) {
    const esc = escapeAt(line, i);
    if (esc) {
      out += esc;
      styled = true;
      i += esc.length;
      continue;
    }
    const ch = String.fromCodePoint(line.codePointAt(i)!);
    if (shown === width - 1) break;
    out += ch;
    shown++;
    i += ch.length;
  }
  return `${out}…${styled ? '\x1b[0m' : ''}`;
}

/** How many characters of `line` show on a terminal (escape sequences take none). */
export function visibleLength(line: string): number {
  let n = 0;
  for (let i = 0; i < line.length; ) {
    const esc = escapeAt(line, i);
    if (esc) {
      i += esc.length;
      continue;
    }
    const ch = String.fromCodePoint(line.codePointAt(i)!);
    n++;
    i += ch.length;
  }
  return n;
}
