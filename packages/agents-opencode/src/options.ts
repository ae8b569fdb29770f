import { z } from 'zod';

export const DEFAULT_TIMEOUT_MS = 30 * 60_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 15 * 60_000;
export const DEFAULT_KILL_GRACE_MS = 5_000;

/** Options of {@link OpencodeAgent}. Every field is optional. */
export const OpencodeOptionsSchema = z.object({
  /** Agent name in the registry. Default `opencode`. */
  name: z.string().min(1).default('opencode'),
  /** The `opencode` executable. Default: env `SPRINT_OPENCODE_BIN`, else `opencode` on PATH. */
  binary: z.string().min(1).optional(),
  /** `--model` as `provider/model`. Default: the CLI's configuration. */
  model: z.string().min(1).optional(),
  /** `--agent`: the opencode agent (`build` by default in opencode). */
  opencodeAgent: z.string().min(1).optional(),
  /**
   * `--auto`: approve every permission not explicitly denied in the
   * configuration, as a run nobody watches needs. Default true.
   */
  autoApprove: z.boolean().default(true),
  /** Arguments added after the others. */
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
export type OpencodeOptions = z.input<typeof OpencodeOptionsSchema>;
export type ResolvedOpencodeOptions = z.output<typeof OpencodeOptionsSchema>;

/** Keys a sprint file's `config.opencode` may set. */
export const SPRINT_OPENCODE_KEYS = ['model', 'timeoutMs', 'idleTimeoutMs'] as const;

/** The CLI's arguments for one run; the task's prompt goes to stdin. Pure. */
export function opencodeArgs(options: ResolvedOpencodeOptions): string[] {
  const args = ['run', '--format', 'json'];
  if (options.autoApprove) args.push('--auto');
  if (options.model) args.push('--model', options.model);
  if (options.opencodeAgent) args.push('--agent', options.opencodeAgent);
  args.push(...options.extraArgs);
  args.push('Do the task described above, then end with the JSON result object.');
  return args;
}
