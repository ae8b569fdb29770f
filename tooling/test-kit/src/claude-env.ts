import { findAgentBin } from './agent-envs.js';

/** Where {@link claudeTestEnv} points the CLI. */
export interface ClaudeTestEnvOptions {
  /** The fake's URL, e.g. `fake.url` from `startFakeAnthropic`. */
  baseUrl: string;
  /** A fresh, empty directory used as `HOME`, so no user settings or sessions leak in or out. */
  home: string;
  /** Variables added last (they win). */
  extra?: Record<string, string>;
}

/**
 * The whole environment for running the real `claude` CLI against a fake API:
 * a fresh `HOME`, `ANTHROPIC_API_KEY=sk-test`, `ANTHROPIC_BASE_URL`, telemetry,
 * non-essential traffic and the auto-updater off. Only `PATH` (and `TMPDIR`,
 * `LANG` when set) is taken from this process, so no real credentials leak in.
 *
 * @example
 * ```ts
 * spawn(findClaudeBin(import.meta.dirname), ['-p', '--output-format', 'stream-json', '--verbose'], {
 *   env: claudeTestEnv({ baseUrl: fake.url, home: await mkdtemp(join(tmpdir(), 'home-')) }),
 * });
 * ```
 */
export function claudeTestEnv(options: ClaudeTestEnvOptions): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: options.home,
    ANTHROPIC_API_KEY: 'sk-test',
    ANTHROPIC_BASE_URL: options.baseUrl,
    DISABLE_TELEMETRY: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
  };
  for (const name of ['TMPDIR', 'LANG'] as const) {
    const value = process.env[name];
    if (value) env[name] = value;
  }
  return { ...env, ...options.extra };
}

/**
 * Finds the real `claude` executable installed by the `@anthropic-ai/claude-code`
 * devDependency: `node_modules/.bin/claude` in `fromDir` or the nearest parent
 * that has one. Throws with the install command when there is none.
 *
 * @param fromDir Where to start looking, usually the test file's package
 *   (`import.meta.dirname`).
 */
export function findClaudeBin(fromDir: string = process.cwd()): string {
  return findAgentBin('claude', fromDir, '@anthropic-ai/claude-code');
}
