import { CLI_PROCESS_OPTIONS, cliIdentityOptions } from '@sprint/core/agent-kit';
import { z } from 'zod';

/** The CLI's `--permission-mode` values. */
export const PERMISSION_MODES = [
  'acceptEdits',
  'auto',
  'bypassPermissions',
  'default',
  'dontAsk',
  'plan',
] as const;
export type PermissionMode = (typeof PERMISSION_MODES)[number];

/** The tools allowed by default when running as root, where `bypassPermissions` is refused. */
export const DEFAULT_ALLOWED_TOOLS: readonly string[] = Object.freeze([
  'Bash',
  'Edit',
  'Write',
  'MultiEdit',
  'Read',
  'Glob',
  'Grep',
  'NotebookEdit',
  'TodoWrite',
]);

export {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_KILL_GRACE_MS,
  DEFAULT_TIMEOUT_MS,
} from '@sprint/core/agent-kit';

/**
 * Options of {@link ClaudeCodeAgent}. Every field is optional; the defaults
 * let a task edit files and run commands in the project without a prompt.
 */
export const ClaudeCodeOptionsSchema = z.object({
  ...cliIdentityOptions('claude'),
  /** `--model`, e.g. `sonnet` or a full model id. Default: the CLI's. */
  model: z.string().min(1).optional(),
  /**
   * `--permission-mode`. Default: `bypassPermissions`, or `acceptEdits` plus
   * {@link DEFAULT_ALLOWED_TOOLS} when running as root (the CLI refuses
   * `bypassPermissions` for root).
   */
  permissionMode: z.enum(PERMISSION_MODES).optional(),
  /** `--allowedTools`, e.g. `['Bash(git:*)', 'Edit']`. Default: see `permissionMode`. */
  allowedTools: z.array(z.string().min(1)).optional(),
  /** `--disallowedTools`. */
  disallowedTools: z.array(z.string().min(1)).default([]),
  /** `--max-turns`: model turns per task. */
  maxTurns: z.number().int().positive().optional(),
  /** `--max-budget-usd`: money per task. */
  maxBudgetUsd: z.number().positive().optional(),
  /** `--append-system-prompt`: added to the CLI's system prompt. */
  appendSystemPrompt: z.string().optional(),
  ...CLI_PROCESS_OPTIONS,
});
export type ClaudeCodeOptions = z.input<typeof ClaudeCodeOptionsSchema>;
export type ResolvedClaudeCodeOptions = z.output<typeof ClaudeCodeOptionsSchema>;

/** The permission flags for a run: explicit options win, else the defaults for this user. */
export function permissionArgs(
  options: Pick<ResolvedClaudeCodeOptions, 'permissionMode' | 'allowedTools'>,
  isRoot: boolean,
): { mode: PermissionMode; allowedTools: readonly string[] } {
  const mode = options.permissionMode ?? (isRoot ? 'acceptEdits' : 'bypassPermissions');
  const allowedTools =
    options.allowedTools ?? (mode === 'bypassPermissions' ? [] : DEFAULT_ALLOWED_TOOLS);
  return { mode, allowedTools };
}
