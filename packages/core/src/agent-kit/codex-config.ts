import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';

/** What `sprint` reads of codex's own config.toml. */
export interface CodexConfig {
  /** The file read: `$CODEX_HOME/config.toml`, default `~/.codex/config.toml`. */
  file: string;
  /** `model`: the model codex uses when none is given. */
  model?: string;
  /** The `env_key` of the selected `model_provider`: the variable codex reads its key from. */
  providerKeyEnv?: { name: string; provider: string };
}

/**
 * Reads codex's config.toml the way codex finds it (`CODEX_HOME`, else
 * `~/.codex`); undefined when there is none or it is not valid TOML (codex
 * then says so itself).
 */
export function readCodexConfig(
  env: Readonly<Record<string, string | undefined>>,
  home: string | undefined = env.HOME,
): CodexConfig | undefined {
  const codexHome = env.CODEX_HOME || (home ? join(home, '.codex') : '');
  if (!codexHome) return undefined;
  const file = join(codexHome, 'config.toml');
  let config: Record<string, unknown>;
  try {
    config = parseToml(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const provider = config.model_provider;
  const providers = config.model_providers as Record<string, { env_key?: unknown }> | undefined;
  const envKey = typeof provider === 'string' ? providers?.[provider]?.env_key : undefined;
  return {
    file,
    ...(typeof config.model === 'string' && config.model ? { model: config.model } : {}),
    ...(typeof envKey === 'string' && envKey && typeof provider === 'string'
      ? { providerKeyEnv: { name: envKey, provider } }
      : {}),
  };
}
