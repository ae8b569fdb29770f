/** ANSI styling that turns into plain text when colour is off. */
export interface Style {
  readonly enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  blue(s: string): string;
  cyan(s: string): string;
  magenta(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;

export function createStyle(enabled: boolean): Style {
  if (!enabled) {
    const id = (s: string) => s;
    return {
      enabled,
      bold: id,
      dim: id,
      red: id,
      green: id,
      yellow: id,
      blue: id,
      cyan: id,
      magenta: id,
    };
  }
  return {
    enabled,
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    blue: wrap(34, 39),
    cyan: wrap(36, 39),
    magenta: wrap(35, 39),
  };
}

/** Colours a sprint or task status by what it means for the reader. */
export function statusColor(style: Style, status: string): string {
  switch (status) {
    case 'completed':
    case 'done':
      return style.green(status);
    case 'in-progress':
    case 'running':
      return style.cyan(status);
    case 'paused':
    case 'needs-human':
    case 'pending':
      return style.yellow(status);
    case 'blocked':
    case 'failed':
    case 'cancelled':
      return style.red(status);
    default:
      return status;
  }
}
