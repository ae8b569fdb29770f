import { z } from 'zod';

export const DEFAULT_TIMEOUT_MS = 30 * 60_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 15 * 60_000;
export const DEFAULT_KILL_GRACE_MS = 5_000;

/** Options of {@link GeminiAgent}. Every field is optional. */
export const GeminiOptionsSchema = z.object({
  /** Agent name in the registry. Default `gemini`. */
  name: z.string().min(1).default('gemini'),
  /** The `gemini` executable. Default: env `SPRINT_GEMINI_BIN`, else `gemini` on PATH. */
  binary: z.string().min(1).optional(),
  /** `--model`. Default: the CLI's (`auto` routing). */
  model: z.string().min(1).optional(),
  /**
   * `--approval-mode`. Default `yolo`: every tool call is approved, as a run
   * nobody watches needs. `auto_edit` approves edits only (shell commands are then refused).
   */
  approvalMode: z.enum(['yolo', 'auto_edit', 'default']).default('yolo'),
  /**
   * `--skip-trust`: trust the project folder for this run. Default true; the CLI
   * otherwise forces the approval mode back to `default` in folders nobody trusted.
   */
  skipTrust: z.boolean().default(true),
  /** Arguments added after the others, e.g. `['--sandbox']`. */
  extraArgs: z.array(z.string()).default([]),
  /** Variables for the CLI, over this process's environment (see `inheritEnv`). */
  env: z.record(z.string(), z.string()).default({}),
  /** Start from this process's environment. Default true. */
  inheritEnv: z.boolean().default(true),
  /** Where the CLI runs. Default: the sprint's project directory. */
  cwd: z.string().min(1).optional(),
  /** Time limit per task in ms. Default: the sprint's `taskTimeoutMs`, else 30 minutes. */
  timeoutMs: z.number().int().positive().optional(),
  /** Idle limit in ms: no event for this long. Default 15 minutes. */
  idleTimeoutMs: z.number().int().positive().default(DEFAULT_IDLE_TIMEOUT_MS),
  /** Wait between SIGTERM and SIGKILL. Default 5 s. */
  killGraceMs: z.number().int().nonnegative().default(DEFAULT_KILL_GRACE_MS),
});
export type GeminiOptions = z.input<typeof GeminiOptionsSchema>;
export type ResolvedGeminiOptions = z.output<typeof GeminiOptionsSchema>;

/** Keys a sprint file's `config.gemini` may set. */
export const SPRINT_GEMINI_KEYS = ['model', 'timeoutMs', 'idleTimeoutMs'] as const;

/**
 * The CLI's arguments for one run. Pure. The task's prompt goes to stdin;
 * `-p` adds a one-line instruction after it (the CLI appends `-p` to stdin).
 */
export function geminiArgs(options: ResolvedGeminiOptions): string[] {
  const args = ['--output-format', 'stream-json', '--approval-mode', options.approvalMode];
  if (options.skipTrust) args.push('--skip-trust');
  if (options.model) args.push('--model', options.model);
  args.push(...options.extraArgs);
  args.push('-p', 'Do the task described above, then end with the JSON result object.');
  return args;
}
