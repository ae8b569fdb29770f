import { CLI_PROCESS_OPTIONS, cliIdentityOptions } from '@sprint/core/agent-kit';
import { z } from 'zod';

/** `codex exec --sandbox` values. */
export const CODEX_SANDBOX_MODES = ['read-only', 'workspace-write', 'danger-full-access'] as const;
export type CodexSandboxMode = (typeof CODEX_SANDBOX_MODES)[number];

/**
 * Options of {@link CodexAgent}. Every field is optional; the defaults let a
 * task edit files in the project and run commands there without a prompt.
 */
export const CodexOptionsSchema = z.object({
  ...cliIdentityOptions('codex'),
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
  ...CLI_PROCESS_OPTIONS,
});
export type CodexOptions = z.input<typeof CodexOptionsSchema>;
export type ResolvedCodexOptions = z.output<typeof CodexOptionsSchema>;

/** Keys a sprint file's `config.codex` may set (what runs, and with which environment, is the operator's). */
export const SPRINT_CODEX_KEYS = ['model', 'timeoutMs', 'idleTimeoutMs'] as const;
