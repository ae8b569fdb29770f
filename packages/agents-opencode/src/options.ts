import { CLI_PROCESS_OPTIONS, cliIdentityOptions } from '@sprint/core/agent-kit';
import { z } from 'zod';

/** Options of {@link OpencodeAgent}. Every field is optional. */
export const OpencodeOptionsSchema = z.object({
  ...cliIdentityOptions('opencode'),
  /** `--model` as `provider/model`. Default: the CLI's configuration. */
  model: z.string().min(1).optional(),
  /** `--agent`: the opencode agent (`build` by default in opencode). */
  opencodeAgent: z.string().min(1).optional(),
  /**
   * `--auto`: approve every permission not explicitly denied in the
   * configuration, as a run nobody watches needs. Default true.
   */
  autoApprove: z.boolean().default(true),
  ...CLI_PROCESS_OPTIONS,
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
