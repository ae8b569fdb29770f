/** What ended an agent CLI's process. */
export type EndedBy =
  | 'exit'
  | 'signal'
  | 'timeout'
  | 'idle'
  | 'cancel'
  | 'spawn-error'
  /** Stopped at the API's first 401/403: the CLI would retry for minutes in vain. */
  | 'refused';

/** How an agent CLI's process ended, as the process runner saw it. */
export interface ProcessEnd {
  endedBy: EndedBy;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  /** The last few KB of stderr. */
  stderrTail: string;
  /** Set when the process could not be started (`endedBy: 'spawn-error'`). */
  spawnError?: { code?: string; message: string };
}
