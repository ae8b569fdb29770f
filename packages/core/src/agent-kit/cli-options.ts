import { z } from 'zod';

export const DEFAULT_TIMEOUT_MS = 30 * 60_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 15 * 60_000;
export const DEFAULT_KILL_GRACE_MS = 5_000;

/** The first options of every agent CLI: its registry name and executable. */
export function cliIdentityOptions(cli: string) {
  return {
    /** Agent name in the registry. Default: the CLI's name. */
    name: z.string().min(1).default(cli),
    /** The executable. Default: env `SPRINT_<CLI>_BIN`, else the CLI's name on PATH. */
    binary: z.string().min(1).optional(),
  };
}

/** The last options of every agent CLI: how its process runs. */
export const CLI_PROCESS_OPTIONS = {
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
  /**
   * Idle limit in ms: the CLI printed no event for this long (CLIs retry 401
   * and 429 silently for minutes, and a hung API never answers). Default 15 minutes.
   */
  idleTimeoutMs: z.number().int().positive().default(DEFAULT_IDLE_TIMEOUT_MS),
  /** Wait between SIGTERM and SIGKILL to the CLI's process group. Default 5 s. */
  killGraceMs: z.number().int().nonnegative().default(DEFAULT_KILL_GRACE_MS),
};
