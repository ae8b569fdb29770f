import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Where a test environment points an agent CLI. */
export interface AgentTestEnvOptions {
  /** The fake's base URL (`fake.baseUrl` or `fake.url`). */
  baseUrl: string;
  /** A fresh, empty directory used as `HOME`, so no user settings or sessions leak in or out. */
  home: string;
  /** Variables added last (they win). */
  extra?: Record<string, string>;
}

function closedEnv(home: string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
  };
  for (const name of ['TMPDIR', 'LANG'] as const) {
    const value = process.env[name];
    if (value) env[name] = value;
  }
  return env;
}

/**
 * The environment for the real `codex` CLI against `startFakeOpenAIResponses`:
 * a fresh `HOME` and `CODEX_HOME` whose config.toml names a provider `fake`
 * at `baseUrl` (the CLI's built-in OpenAI provider ignores OPENAI_BASE_URL),
 * with retries off and the key in `SPRINT_FAKE_OPENAI_KEY`.
 */
export function codexTestEnv(
  options: AgentTestEnvOptions & { model?: string },
): Record<string, string> {
  const codexHome = join(options.home, '.codex');
  mkdirSync(codexHome, { recursive: true });
  writeFileSync(
    join(codexHome, 'config.toml'),
    [
      `model = "${options.model ?? 'gpt-5-mini'}"`,
      'model_provider = "fake"',
      'analytics.enabled = false',
      '[model_providers.fake]',
      'name = "fake"',
      `base_url = "${options.baseUrl}"`,
      'env_key = "SPRINT_FAKE_OPENAI_KEY"',
      'wire_api = "responses"',
      'request_max_retries = 0',
      'stream_max_retries = 0',
      'supports_websockets = false',
      '',
    ].join('\n'),
  );
  return {
    ...closedEnv(options.home),
    CODEX_HOME: codexHome,
    SPRINT_FAKE_OPENAI_KEY: 'sk-test',
    ...options.extra,
  };
}

/**
 * Finds an agent CLI installed as a devDependency: `node_modules/.bin/<name>`
 * in `fromDir` or the nearest parent that has one. Throws with the install
 * command when there is none.
 */
export function findAgentBin(name: string, fromDir: string = process.cwd(), pkg = name): string {
  let dir = resolve(fromDir);
  for (;;) {
    const candidate = join(dir, 'node_modules', '.bin', name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; look in the parent
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(
    `No ${name} executable in node_modules/.bin from ${fromDir} upwards. ` +
      `Add it as a devDependency (pnpm add -D ${pkg}) and run pnpm install.`,
  );
}

/**
 * The environment for the real `gemini` CLI against `startFakeGemini`: a fresh
 * `HOME` whose `.gemini/settings.json` selects API-key auth (with
 * `GOOGLE_GEMINI_BASE_URL` alone the CLI picks its gateway auth, which
 * `-p` refuses as "Invalid auth method selected"), telemetry, usage
 * statistics and update checks off; `GEMINI_API_KEY=fake-key`.
 */
export function geminiTestEnv(options: AgentTestEnvOptions): Record<string, string> {
  const dir = join(options.home, '.gemini');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'settings.json'),
    JSON.stringify({
      security: { auth: { selectedType: 'gemini-api-key' } },
      general: { disableAutoUpdate: true, disableUpdateNag: true },
      privacy: { usageStatisticsEnabled: false },
      telemetry: { enabled: false },
    }),
  );
  return {
    ...closedEnv(options.home),
    GEMINI_API_KEY: 'fake-key',
    GOOGLE_GEMINI_BASE_URL: options.baseUrl,
    ...options.extra,
  };
}

/**
 * The environment for the real `opencode` CLI against `startFakeOpenAIChat`:
 * a fresh `HOME`, and `OPENCODE_CONFIG_CONTENT` naming an OpenAI-compatible
 * provider `fake` at `baseUrl` with the model `fake/fake-model` (for the
 * agent's `model` option), the models.dev download, updates, sharing and
 * npm's network off.
 */
export function opencodeTestEnv(options: AgentTestEnvOptions): Record<string, string> {
  const config = {
    autoupdate: false,
    share: 'disabled',
    model: 'fake/fake-model',
    small_model: 'fake/fake-model',
    provider: {
      fake: {
        npm: '@ai-sdk/openai-compatible',
        name: 'Fake',
        options: { baseURL: options.baseUrl, apiKey: 'sk-test' },
        models: { 'fake-model': { name: 'Fake model' } },
      },
    },
  };
  return {
    ...closedEnv(options.home),
    OPENCODE_CONFIG_CONTENT: JSON.stringify(config),
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    OPENCODE_DISABLE_AUTOUPDATE: '1',
    // In a fresh HOME the CLI installs @opencode-ai/plugin into its config
    // directory in the background, from registry.npmjs.org: offline, npm gives
    // up at once and nothing leaves 127.0.0.1.
    npm_config_offline: 'true',
    ...options.extra,
  };
}
