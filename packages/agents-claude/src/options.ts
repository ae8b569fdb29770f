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

export const DEFAULT_TIMEOUT_MS = 30 * 60_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 15 * 60_000;
export const DEFAULT_KILL_GRACE_MS = 5_000;

/**
 * Options of {@link ClaudeCodeAgent}. Every field is optional; the defaults
 * let a task edit files and run commands in the project without a prompt.
 */
export const ClaudeCodeOptionsSchema = z.object({
  /** Agent name in the registry. Default `claude`. */
  name: z.string().min(1).default('claude'),
  /** The `claude` executable. Default: env `SPRINT_CLAUDE_BIN`, else `claude` on PATH. */
  binary: z.string().min(1).optional(),
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
  /** Arguments added after the others, e.g. `['--bare']` or `['--add-dir', '../lib']`. */
  extraArgs: z.array(z.string()).default([]),
  /** Variables for the CLI, over this process's environment (see `inheritEnv`). */
  env: z.record(z.string(), z.string()).default({}),
  /** Start from this process's environment. Default true; false gives the CLI `env` alone. */
  inheritEnv: z.boolean().default(true),
  /** Where the CLI runs. Default: the sprint's project directory. */
  cwd: z.string().min(1).optional(),
  /** Time limit per task in ms. Default: the sprint's `taskTimeoutMs`, else 30 minutes. */
  timeoutMs: z.number().int().positive().optional(),
  /**
   * Idle limit in ms: the CLI printed no event for this long (it retries 401
   * and 429 silently for minutes, and a hung API never answers). Default 15 minutes.
   */
  idleTimeoutMs: z.number().int().positive().default(DEFAULT_IDLE_TIMEOUT_MS),
  /** Wait between SIGTERM and SIGKILL to the CLI's process group. Default 5 s. */
  killGraceMs: z.number().int().nonnegative().default(DEFAULT_KILL_GRACE_MS),
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
