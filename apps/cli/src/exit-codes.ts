/** The exit codes of `sprint`, the original loop's 0/1/2 plus the BSD sysexits for bad input and a busy sprint. */
export const EXIT = {
  /** Completed, paused, or a dry run. */
  ok: 0,
  /** Blocked, cancelled, or a limit reached. */
  failed: 1,
  /** The sprint waits for a human's answer. */
  needsHuman: 2,
  /** EX_USAGE: the command line or the sprint's location is wrong. */
  usage: 64,
  /** EX_DATAERR: the sprint's files cannot be used as written. */
  invalidData: 65,
  /** EX_NOINPUT: an import source (a GitHub repository, a milestone, an m42 workflow file) does not exist. */
  noInput: 66,
  /** EX_UNAVAILABLE: an import source (GitHub) or the sprint database (--database-url) could not be reached, or an agent CLI the sprint would run is not installed. */
  unavailable: 69,
  /** EX_CANTCREAT: the sprint's files are on a read-only file system. */
  readOnly: 73,
  /** EX_IOERR: the disk (or the quota) is full. */
  diskFull: 74,
  /** EX_TEMPFAIL: another live run holds the sprint, another live worker holds a worker's clone (`--clone-dir`), or GitHub's rate limit is used up; try again later. */
  locked: 75,
  /** EX_NOPERM: GitHub refused the token, or the system refused access to the sprint's files. */
  noPermission: 77,
  /** 128 + SIGHUP: the terminal was closed; a run stopped its agent and stays resumable. */
  hangup: 129,
  /** 128 + SIGINT. */
  interrupted: 130,
  /** 128 + SIGPIPE: the reader of the output went away (`sprint logs | head -1`). */
  readerGone: 141,
} as const;

/** Called on the second Ctrl-C, just before the process leaves. Must be synchronous. */
export type ForceHandler = () => void;

/**
 * The process's exit code: the command's own, unless the terminal was closed
 * (129) or the reader of the output went away (141) first, as a shell would
 * report for a program those signals ended.
 */
export function exitCodeOnEnd(
  commandCode: number,
  endedBy: 'hangup' | 'reader-gone' | undefined,
): number {
  if (endedBy === 'hangup') return EXIT.hangup;
  if (endedBy === 'reader-gone') return EXIT.readerGone;
  return commandCode;
}
