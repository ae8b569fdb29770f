import { EXIT } from './exit-codes.js';
import type { CliIo } from './io.js';
import { AGENT_NAMES, usageText } from './usage.js';
import { UsageError } from './usage-error.js';

interface CodedError extends Error {
  code: string;
  issues?: unknown;
}

function isCoded(error: unknown): error is CodedError {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string';
}

/** What to do about an agent the sprint's config names but the CLI does not have. */
export const UNKNOWN_AGENT_FIX = `in SPRINT.yaml, set config.agent (and any config.agents.<type>) to one of ${AGENT_NAMES.join(', ')}; or pick one for a run with --agent NAME`;

/** The exit code for an error thrown by a command. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT.usage;
  if (isCoded(error)) {
    switch (error.code) {
      case 'INVALID_SPRINT':
        return EXIT.invalidData;
      case 'SPRINT_NOT_FOUND':
      case 'INVALID_OPTIONS':
      case 'SPRINT_FINISHED':
      case 'SPRINT_EXISTS':
        return EXIT.usage;
      case 'SPRINT_LOCKED':
        return EXIT.locked;
      case 'DATABASE_UNAVAILABLE':
        return EXIT.unavailable;
      case 'UNKNOWN_AGENT':
        // `--agent` is checked by the parser, so an unknown agent comes from the sprint's config.
        return EXIT.invalidData;
      default:
        return EXIT.failed;
    }
  }
  return EXIT.failed;
}

/** The one JSON document `--json` promises on stdout, when the command failed instead. */
export function errorDocument(error: unknown, exitCode: number): string {
  const message = error instanceof Error ? error.message : String(error);
  const code =
    error instanceof UsageError
      ? 'USAGE'
      : isCoded(error)
        ? error.code.startsWith('commander.')
          ? 'USAGE'
          : error.code
        : 'ERROR';
  const issues = isCoded(error) && Array.isArray(error.issues) ? error.issues : undefined;
  return `${JSON.stringify({ error: { code, message, exitCode, ...(issues ? { issues } : {}) } }, null, 2)}\n`;
}

/**
 * Prints an error as a person can act on it (on stderr; with `json`, also as
 * one JSON document on stdout) and returns its exit code.
 */
export function reportError(error: unknown, io: CliIo, json = false): number {
  const code = exitCodeFor(error);
  const message = error instanceof Error ? error.message : String(error);
  if (json) io.stdout.write(errorDocument(error, code));
  io.stderr.write(`Error: ${message}\n`);
  if (error instanceof UsageError && error.command !== undefined) {
    io.stderr.write(`\n${usageText(error.command)}\n`);
  } else if (isCoded(error) && code === EXIT.usage && error.code === 'SPRINT_NOT_FOUND') {
    io.stderr.write(
      '\nRun "sprint list" to see the sprints here, or "sprint init <name>" to start one.\n',
    );
  }
  if (isCoded(error) && error.code === 'UNKNOWN_AGENT') {
    io.stderr.write(`Fix: ${UNKNOWN_AGENT_FIX}.\n`);
  }
  if (code === EXIT.failed && !isCoded(error) && io.env.SPRINT_DEBUG && error instanceof Error) {
    io.stderr.write(`${error.stack ?? ''}\n`);
  }
  return code;
}
