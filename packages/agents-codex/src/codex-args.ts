import type { ResolvedCodexOptions } from './options.js';

/**
 * The CLI's arguments for one run; the prompt goes to stdin (`-`). Pure.
 * `--skip-git-repo-check` because a sprint may run outside git, `--ephemeral`
 * because each task is a fresh session nobody resumes.
 */
export function codexArgs(options: ResolvedCodexOptions, run: { schemaFile: string }): string[] {
  const args = ['exec', '--json', '--skip-git-repo-check', '--ephemeral', '--color', 'never'];
  if (options.bypassSandbox) args.push('--dangerously-bypass-approvals-and-sandbox');
  else args.push('--sandbox', options.sandbox);
  args.push('--output-schema', run.schemaFile);
  if (options.model) args.push('--model', options.model);
  for (const [key, value] of Object.entries(options.config)) args.push('-c', `${key}=${value}`);
  args.push(...options.extraArgs, '-');
  return args;
}
