import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ModelSource, PlannedModel } from '@sprint/core';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The model `opencode run` uses when given no `--model`, and the file (or
 * `OPENCODE_CONFIG_CONTENT`) that sets it, read from its configuration as
 * opencode merges it: the agent's own `agent.<name>.model` (`build` unless
 * `default_agent` or `--agent` names another), else `model`. Undefined when
 * no configuration names one: opencode then takes its first provider's best
 * model, which only its model catalog knows.
 *
 * `opencode run --format json` never names the model, so this is how a run is
 * priced by its model rather than the price table's `*` fallback.
 */
export function opencodeConfiguredModel(
  env: Env,
  cwd: string,
  agent: string | undefined,
): PlannedModel | undefined {
  let model: PlannedModel | undefined;
  let defaultAgent: string | undefined;
  const agentModels: Record<string, PlannedModel> = {};
  for (const { config, source } of opencodeConfigs(env, cwd)) {
    if (typeof config.model === 'string' && config.model) model = { model: config.model, source };
    if (typeof config.default_agent === 'string') defaultAgent = config.default_agent;
    // `mode` is the older name of `agent`; opencode still reads both.
    for (const section of [config.mode, config.agent]) {
      if (!section || typeof section !== 'object') continue;
      for (const [name, value] of Object.entries(section as Record<string, unknown>)) {
        const own = (value as { model?: unknown } | null)?.model;
        if (typeof own === 'string' && own) agentModels[name] = { model: own, source };
      }
    }
  }
  return agentModels[agent ?? defaultAgent ?? 'build'] ?? model;
}

/** One of opencode's configuration objects and where it was read. */
interface SourcedConfig {
  config: Record<string, unknown>;
  source: ModelSource;
}

/**
 * opencode's configuration objects, lowest precedence first, as it loads
 * them: the global files, `OPENCODE_CONFIG`, the project's `opencode.json(c)`
 * from the worktree root down to `cwd`, the `.opencode` folders on that path,
 * `OPENCODE_CONFIG_DIR`, and `OPENCODE_CONFIG_CONTENT` last. A file that is
 * missing or not valid JSONC is left out (opencode says so itself).
 */
function opencodeConfigs(env: Env, cwd: string): SourcedConfig[] {
  const files: string[] = [];
  const configHome = env.XDG_CONFIG_HOME || (env.HOME ? join(env.HOME, '.config') : undefined);
  if (configHome) {
    for (const name of ['config.json', 'opencode.json', 'opencode.jsonc']) {
      files.push(join(configHome, 'opencode', name));
    }
  }
  if (env.OPENCODE_CONFIG) files.push(resolve(cwd, env.OPENCODE_CONFIG));
  if (!truthy(env.OPENCODE_DISABLE_PROJECT_CONFIG)) {
    const dirs = projectDirs(resolve(cwd));
    for (const name of ['opencode.jsonc', 'opencode.json']) {
      for (const dir of dirs) files.push(join(dir, name));
    }
    for (const dir of dirs) {
      files.push(join(dir, '.opencode', 'opencode.jsonc'), join(dir, '.opencode', 'opencode.json'));
    }
  }
  if (env.OPENCODE_CONFIG_DIR) {
    files.push(
      join(env.OPENCODE_CONFIG_DIR, 'opencode.jsonc'),
      join(env.OPENCODE_CONFIG_DIR, 'opencode.json'),
    );
  }
  const configs: SourcedConfig[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const config = parseConfig(text, env);
    if (config) configs.push({ config, source: { kind: 'file', file } });
  }
  if (env.OPENCODE_CONFIG_CONTENT) {
    const config = parseConfig(env.OPENCODE_CONFIG_CONTENT, env);
    if (config) configs.push({ config, source: { kind: 'env', name: 'OPENCODE_CONFIG_CONTENT' } });
  }
  return configs;
}

/** `{env:NAME}` is replaced in the text before parsing, as opencode does. */
function parseConfig(text: string, env: Env): Record<string, unknown> | undefined {
  const substituted = text.replace(/\{env:([^}]+)\}/g, (_, name: string) => env[name] ?? '');
  let value: unknown;
  try {
    value = JSON.parse(plainJson(substituted));
  } catch {
    return undefined;
  }
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** JSONC as JSON: comments (`//`, `/* *\/`) and trailing commas dropped, strings kept as they are. Pure. */
function plainJson(text: string): string {
  const noComments = outsideStrings(text, (t, i) => {
    if (t[i] === '/' && t[i + 1] === '/') {
      const end = t.indexOf('\n', i);
      return { skip: (end < 0 ? t.length : end) - i, put: '' };
    }
    if (t[i] === '/' && t[i + 1] === '*') {
      const end = t.indexOf('*/', i + 2);
      return { skip: (end < 0 ? t.length : end + 2) - i, put: ' ' };
    }
    return undefined;
  });
  return outsideStrings(noComments, (t, i) =>
    t[i] === ',' && /^\s*[}\]]/.test(t.slice(i + 1)) ? { skip: 1, put: '' } : undefined,
  );
}

/** `text` with `edit` applied at each position outside a JSON string. Pure. */
function outsideStrings(
  text: string,
  edit: (text: string, i: number) => { skip: number; put: string } | undefined,
): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      out += text.slice(i, end + 1);
      i = end + 1;
      continue;
    }
    const change = edit(text, i);
    if (change) {
      out += change.put;
      i += change.skip;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}

/** `cwd` and its parents up to the git worktree's root (the filesystem's root outside git), root first. */
function projectDirs(cwd: string): string[] {
  const dirs: string[] = [];
  for (let dir = cwd; ; dir = dirname(dir)) {
    dirs.unshift(dir);
    if (existsSync(join(dir, '.git')) || dirname(dir) === dir) return dirs;
  }
}

function truthy(value: string | undefined): boolean {
  return value === '1' || value?.toLowerCase() === 'true';
}
