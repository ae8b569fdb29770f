import { escapeControls, type FallbackPricing } from '@sprint/core';

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

/**
 * A spend, saying how much of it is an estimate (priced from tokens with the
 * price table for agents that report no cost) and how much of that the
 * table's `*` fallback priced: `$0.42`, `$0.42 (estimated from token prices)`,
 * `$0.42 ($0.30 of it estimated from token prices)`,
 * `$0.42 (estimated from token prices; $0.10 at the fallback price: model unknown)`.
 */
export function spend(costUsd: number, estimatedCostUsd = 0, fallback?: FallbackPricing): string {
  if (estimatedCostUsd <= 0) return usd(costUsd);
  const why = fallback
    ? `; ${usd(fallback.costUsd)} at the fallback price: ${fallbackWhy(fallback)}`
    : '';
  if (estimatedCostUsd >= costUsd) return `${usd(costUsd)} (estimated from token prices${why})`;
  return `${usd(costUsd)} (${usd(estimatedCostUsd)} of it estimated from token prices${why})`;
}

/** `model unknown`, `gpt-9 not in the price table`, or both. */
function fallbackWhy(fallback: FallbackPricing): string {
  const parts = fallback.unknownModel ? ['model unknown'] : [];
  if (fallback.models.length) parts.push(`${fallback.models.join(', ')} not in the price table`);
  return parts.join(', ');
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

/**
 * Multi-line text the CLI did not write (a question's details), one printed line per line,
 * each indented; its other control characters are shown, never sent to the terminal.
 */
export function indentedLines(text: string, indent: string): string[] {
  return escapeControls(text, { newlines: true })
    .split('\n')
    .map((line) => `${indent}${line}`);
}
