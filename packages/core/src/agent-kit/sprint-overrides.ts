import type { z } from 'zod';
import { kebabKey } from '../agents/sprint-agent-keys.js';
import { InvalidOptionsError } from '../model/errors.js';

/**
 * Applies a sprint's `config.<agent>` (kebab-case or camelCase keys, as
 * written) over an agent's own options. Only `allowed` keys may be set: what
 * runs, with which arguments and environment, is the operator's choice, never
 * a sprint file's (a sprint may come from a repository or an API request).
 *
 * @throws InvalidOptionsError naming the key and the fix.
 */
export function withSprintOptions<S extends z.ZodType>(
  schema: S,
  options: z.output<S>,
  overrides: Record<string, unknown> | undefined,
  where: { agent: string; allowed: readonly string[] },
): z.output<S> {
  if (!overrides || Object.keys(overrides).length === 0) return options;
  // Messages name keys as a sprint file writes them: `idle-timeout-ms`, not `idleTimeoutMs`.
  const allowed = where.allowed.map(kebabKey);
  const refused = Object.keys(overrides).filter((k) => !allowed.includes(kebabKey(k)));
  if (refused.length) {
    throw new InvalidOptionsError(
      `The sprint's config.${where.agent} cannot set ${refused.join(', ')}: it may set ${allowed.join(', ')}. ` +
        `The binary, its arguments and environment come from the program that runs the sprint (${where.agent} agent options).`,
    );
  }
  const camel = Object.fromEntries(
    Object.entries(overrides).map(([k, v]) => [
      k.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()),
      v,
    ]),
  );
  const parsed = schema.safeParse({ ...(options as object), ...camel });
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map(
        (i) => `${i.path.map((p) => kebabKey(String(p))).join('.') || '(options)'}: ${i.message}`,
      )
      .join('; ');
    throw new InvalidOptionsError(`Invalid sprint config.${where.agent}: ${issues}`);
  }
  return parsed.data;
}

/** Parses an agent's constructor options; throws InvalidOptionsError naming each field. */
export function parseAgentOptions<S extends z.ZodType>(
  schema: S,
  input: unknown,
  where: string,
): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`)
      .join('; ');
    throw new InvalidOptionsError(`Invalid ${where}: ${issues}`);
  }
  return parsed.data;
}
