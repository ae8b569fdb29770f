/**
 * The command line (or the sprint it names) cannot be used: exit 64 with a
 * specific message and the command's usage, as the original /run-sprint did.
 */
export class UsageError extends Error {
  /** The command whose usage to print after the message. */
  readonly command: string | undefined;
  constructor(message: string, command?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
    this.command = command;
  }
}
