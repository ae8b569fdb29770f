import { escapeControls, type StorageFailure, storageFailure } from '@sprint/core';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './io.js';
import { m42Message, m42SprintOf } from './m42-hint.js';
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

/**
 * Core's messages speak of the sprint (a library or API user reads them too):
 * what to do about them in this command's terms, by error code.
 */
function commandFix(error: CodedError): string | undefined {
  switch (error.code) {
    case 'SPRINT_FINISHED':
      return 'start a new sprint for the next tasks: sprint init <name>';
    case 'TASK_NOT_CHANGEABLE': {
      const status = (error as { status?: unknown }).status;
      if (status === 'running') return 'stop the run first (sprint stop <sprint>), then try again';
      if (status === 'pending' || status === 'failed')
        return 'nothing to retry: sprint resume <sprint> runs it';
      return undefined;
    }
    case 'AGENT_NOT_INSTALLED':
      return 'install it, or pick another agent for this run with --agent NAME';
    case 'LOG_LOST':
      return "see what is left with sprint status <sprint> and put PROGRESS.yaml (or the document) right; if you removed or replaced the runner's files yourself, or once it is right, start from it as it is: sprint resume <sprint> --trust-files";
    default:
      return undefined;
  }
}

/** Fixes a command gave for an error it let through, in its own terms (its flags). */
const givenFixes = new WeakMap<object, string>();

/**
 * Says what to do about `error` in the command's terms (such as a flag to use)
 * when it is reported; returns the error, to rethrow.
 */
export function withFix(error: unknown, fix: string): unknown {
  if (error instanceof Error) givenFixes.set(error, fix);
  return error;
}

/** What to do when an import from GitHub failed, by the failure's kind. */
const IMPORT_FIX: Record<string, string> = {
  auth: "set GITHUB_TOKEN (or log in with `gh auth login`) to a token that can read the repository's issues.",
  'not-found':
    'check OWNER/REPO and the milestone; for GitHub Enterprise set GITHUB_API_URL=https://HOST/api/v3; a private repository needs a token.',
  'rate-limited': 'try again after the reset time, or use a token (5,000 requests an hour).',
  unavailable: 'check the network and GITHUB_API_URL, then try again.',
};

/** EX_NOPERM, EX_NOINPUT, EX_TEMPFAIL or EX_UNAVAILABLE for a failed import from GitHub. */
function importExitCode(kind: unknown): number {
  switch (kind) {
    case 'auth':
      return EXIT.noPermission;
    case 'not-found':
      return EXIT.noInput;
    case 'rate-limited':
      return EXIT.locked;
    default:
      return EXIT.unavailable;
  }
}

/** The exit code for a storage failure: 77 permissions, 73 read-only, 74 disk full. */
function storageExitCode(failure: StorageFailure): number {
  switch (failure.errno) {
    case 'EACCES':
    case 'EPERM':
      return EXIT.noPermission;
    case 'EROFS':
      return EXIT.readOnly;
    default:
      return EXIT.diskFull;
  }
}

/** The exit code for an error thrown by a command. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT.usage;
  const storage = storageFailure(error);
  if (storage) return storageExitCode(storage);
  if (isCoded(error)) {
    switch (error.code) {
      case 'INVALID_SPRINT':
      case 'LOG_LOST':
        return EXIT.invalidData;
      case 'SPRINT_NOT_FOUND':
      case 'INVALID_OPTIONS':
      case 'SPRINT_FINISHED':
      case 'SPRINT_EXISTS':
      case 'TASK_NOT_FOUND':
      case 'TASK_NOT_CHANGEABLE':
        return EXIT.usage;
      case 'SPRINT_LOCKED':
      case 'CLONE_HELD':
        return EXIT.locked;
      case 'DATABASE_UNAVAILABLE':
      case 'AGENT_NOT_INSTALLED':
        return EXIT.unavailable;
      case 'UNKNOWN_AGENT':
        // `--agent` is checked by the parser, so an unknown agent comes from the sprint's config.
        return EXIT.invalidData;
      case 'WORKFLOW_NOT_FOUND':
        return EXIT.noInput;
      case 'IMPORT_FAILED':
        return importExitCode((error as { kind?: unknown }).kind);
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
 * one JSON document on stdout) and returns its exit code. `m42` says whether
 * an m42 sprint may be pointed to `import --from-m42` (not when that failed).
 */
export function reportError(error: unknown, io: CliIo, json = false, m42 = true): number {
  const m42Sprint = m42 ? m42SprintOf(error, io.cwd) : undefined;
  if (m42Sprint) {
    // An m42 sprint is to be imported, not fixed: its own problems (m42's keys) would mislead.
    const { message, fix } = m42Message(m42Sprint);
    const exitCode = EXIT.invalidData;
    if (json)
      io.stdout.write(
        `${JSON.stringify({ error: { code: 'M42_SPRINT', message, exitCode, fix } }, null, 2)}\n`,
      );
    io.stderr.write(`Error: ${escapeControls(message)}.\nFix: ${escapeControls(fix)}.\n`);
    return exitCode;
  }
  const code = exitCodeFor(error);
  const storage = storageFailure(error);
  const message = storage
    ? storage.message
    : error instanceof Error
      ? error.message
      : String(error);
  if (json) io.stdout.write(errorDocument(error, code));
  // A message may quote a sprint's files or an agent: its control characters are shown, its lines kept.
  io.stderr.write(`Error: ${escapeControls(message, { newlines: true })}\n`);
  if (error instanceof UsageError && error.command !== undefined) {
    io.stderr.write(`\n${usageText(error.command)}\n`);
  } else if (isCoded(error) && code === EXIT.usage && error.code === 'SPRINT_NOT_FOUND') {
    io.stderr.write(
      '\nRun "sprint list" to see the sprints here, or "sprint init <name>" to start one.\n',
    );
  }
  if (isCoded(error) && error.code === 'IMPORT_FAILED') {
    const fix = IMPORT_FIX[String((error as { kind?: unknown }).kind)];
    if (fix) io.stderr.write(`Fix: ${fix}\n`);
  }
  if (storage) io.stderr.write(`Fix: ${storage.fix}.\n`);
  if (isCoded(error) && error.code === 'UNKNOWN_AGENT') {
    io.stderr.write(`Fix: ${UNKNOWN_AGENT_FIX}.\n`);
  }
  const fix =
    (error instanceof Error && givenFixes.get(error)) || (isCoded(error) && commandFix(error));
  if (fix) io.stderr.write(`Fix: ${fix}.\n`);
  if (code === EXIT.failed && !isCoded(error) && io.env.SPRINT_DEBUG && error instanceof Error) {
    io.stderr.write(`${error.stack ?? ''}\n`);
  }
  return code;
}
