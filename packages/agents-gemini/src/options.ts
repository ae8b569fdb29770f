import { CLI_PROCESS_OPTIONS, cliIdentityOptions } from '@sprint/core/agent-kit';
import { z } from 'zod';

/** Options of {@link GeminiAgent}. Every field is optional. */
export const GeminiOptionsSchema = z.object({
  ...cliIdentityOptions('gemini'),
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
  ...CLI_PROCESS_OPTIONS,
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
