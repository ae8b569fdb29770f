import { z } from 'zod';

/** `codex exec --sandbox` values. */
export const CODEX_SANDBOX_MODES = ['read-only', 'workspace-write', 'danger-full-access'] as const;
export type CodexSandboxMode = (typeof CODEX_SANDBOX_MODES)[number];

export const DEFAULT_TIMEOUT_MS = 30 * 60_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 15 * 60_000;
export const DEFAULT_KILL_GRACE_MS = 5_000;

/**
 * Options of {@link CodexAgent}. Every field is optional; the defaults let a
 * task edit files in the project and run commands there without a prompt.
 */
export const CodexOptionsSchema = z.object({
  /** Agent name in the registry. Default `codex`. */
  name: z.string().min(1).default('codex'),
  /** The `codex` executable. Default: env `SPRINT_CODEX_BIN`, else `codex` on PATH. */
  binary: z.string().min(1).optional(),
  /** `--model`. Default: the CLI's (its config.toml). */
  model: z.string().min(1).optional(),
  /**
   * `--sandbox`. Default `workspace-write`: the agent writes in the project and
   * runs commands there, approvals off (`exec` never asks). Works as root.
   */
  sandbox: z.enum(CODEX_SANDBOX_MODES).default('workspace-write'),
  /**
   * `--dangerously-bypass-approvals-and-sandbox`, for machines that are a
   * sandbox already (a container). Overrides `sandbox`.
   */
  bypassSandbox: z.boolean().default(false),
  /** `-c key=value` overrides of the CLI's config.toml, e.g. `{ model_provider: '"azure"' }` (values are TOML). */
  config: z.record(z.string(), z.string()).default({}),
  /** Arguments added after the others. */
  extraArgs: z.array(z.string()).default([]),
  /** Variables for the CLI, over this process's environment (see `inheritEnv`). */
  env: z.record(z.string(), z.string()).default({}),
  /** Start from this process's environment. Default true; false gives the CLI `env` alone. */
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
export type CodexOptions = z.input<typeof CodexOptionsSchema>;
export type ResolvedCodexOptions = z.output<typeof CodexOptionsSchema>;

/** Keys a sprint file's `config.codex` may set (what runs, and with which environment, is the operator's). */
export const SPRINT_CODEX_KEYS = ['model', 'timeoutMs', 'idleTimeoutMs'] as const;
