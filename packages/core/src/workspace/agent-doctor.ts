import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import which from 'which';
import { readCodexConfig } from '../agent-kit/codex-config.js';
import { SprintError } from '../model/errors.js';

/** What one agent CLI needs, to check it without spending tokens. */
export interface AgentRequirement {
  name: string;
  /** The environment variable naming the binary, and the default command. */
  binEnv: string;
  command: string;
  install: string;
  /** Any of these variables is a credential. */
  keyEnv: readonly string[];
  /**
   * Variables a user may expect the CLI to read that it does not, each with
   * the way to hand its key over: named when no credential is found.
   */
  unreadKeyEnv?: readonly { name: string; fix: string }[];
  /** Any of these files under HOME is a stored login. */
  loginFiles: readonly string[];
  /**
   * Credential variables the CLI's own configuration names (codex: the
   * `env_key` of the provider its config.toml selects), with where it says so.
   */
  configuredKeyEnv?: (env: NodeJS.ProcessEnv, home: string) => { name: string; where: string }[];
  login: string;
  /** How the agent runs with nobody to approve (as root or not). */
  unattended: (isRoot: boolean) => { ok: boolean; note: string };
}

/** The agents `sprint` drives through their CLIs. */
export const AGENT_REQUIREMENTS: readonly AgentRequirement[] = [
  {
    name: 'claude',
    binEnv: 'SPRINT_CLAUDE_BIN',
    command: 'claude',
    install: 'npm i -g @anthropic-ai/claude-code',
    keyEnv: ['ANTHROPIC_API_KEY', 'CLAUDE_CODE_OAUTH_TOKEN'],
    loginFiles: ['.claude/.credentials.json'],
    login: 'set ANTHROPIC_API_KEY, or run `claude` once and /login',
    unattended: (isRoot) =>
      isRoot
        ? {
            ok: true,
            note: 'as root: acceptEdits with an explicit tool list (bypassPermissions is refused for root)',
          }
        : { ok: true, note: 'bypassPermissions' },
  },
  {
    name: 'codex',
    binEnv: 'SPRINT_CODEX_BIN',
    command: 'codex',
    install: 'npm i -g @openai/codex',
    // `codex exec` sends CODEX_API_KEY, not OPENAI_API_KEY (checked with codex-cli 0.171.0).
    keyEnv: ['CODEX_API_KEY'],
    unreadKeyEnv: [
      {
        name: 'OPENAI_API_KEY',
        fix: 'set CODEX_API_KEY to the same key, or run `printenv OPENAI_API_KEY | codex login --with-api-key`',
      },
    ],
    loginFiles: ['.codex/auth.json'],
    configuredKeyEnv: codexProviderKeyEnv,
    login: 'set CODEX_API_KEY, or run `codex login`',
    unattended: () => ({ ok: true, note: 'exec with the workspace-write sandbox, approvals off' }),
  },
  {
    name: 'gemini',
    binEnv: 'SPRINT_GEMINI_BIN',
    command: 'gemini',
    install: 'npm i -g @google/gemini-cli',
    keyEnv: ['GEMINI_API_KEY', 'GOOGLE_API_KEY', 'GOOGLE_GENAI_USE_VERTEXAI'],
    loginFiles: ['.gemini/oauth_creds.json'],
    login: 'set GEMINI_API_KEY, or run `gemini` once and log in with Google',
    unattended: () => ({ ok: true, note: '--approval-mode yolo --skip-trust' }),
  },
  {
    name: 'opencode',
    binEnv: 'SPRINT_OPENCODE_BIN',
    command: 'opencode',
    install: 'npm i -g opencode-ai',
    keyEnv: [
      'ANTHROPIC_API_KEY',
      'OPENAI_API_KEY',
      'OPENROUTER_API_KEY',
      'GEMINI_API_KEY',
      'OPENCODE_CONFIG_CONTENT',
    ],
    loginFiles: ['.local/share/opencode/auth.json'],
    login: 'run `opencode auth login`, or set a provider key such as ANTHROPIC_API_KEY',
    unattended: () => ({ ok: true, note: 'run --auto (approves what the config does not deny)' }),
  },
];

/** codex reads its key from the `env_key` of the provider its config.toml selects. */
function codexProviderKeyEnv(
  env: NodeJS.ProcessEnv,
  home: string,
): { name: string; where: string }[] {
  const config = readCodexConfig(env, home);
  const key = config?.providerKeyEnv;
  return key
    ? [{ name: key.name, where: `env_key of model provider "${key.provider}" in ${config.file}` }]
    : [];
}

/** What was found for one agent. */
export interface AgentProbe {
  name: string;
  binary: string;
  /** The first line of `--version`, or undefined when it could not be run. */
  version?: string;
  /** Why the binary could not be run. */
  error?: string;
  /** Names of the credential variables set, and login files found. */
  credentials: string[];
}

/** One line of the doctor's report. */
export interface AgentDiagnosis {
  name: string;
  binary: string;
  installed: boolean;
  version?: string;
  credentials: boolean;
  unattended: boolean;
  /** `ok`, or what to do. */
  status: 'ready' | 'missing' | 'no-credentials';
  advice: string[];
  notes: string[];
}

/** Turns what was probed into the report. Pure. */
export function diagnoseAgent(
  requirement: AgentRequirement,
  probe: AgentProbe,
  isRoot: boolean,
): AgentDiagnosis {
  const installed = probe.version !== undefined;
  const credentials = probe.credentials.length > 0;
  const unattended = requirement.unattended(isRoot);
  const advice: string[] = [];
  if (!installed) {
    advice.push(
      `install it: ${requirement.install} (or set ${requirement.binEnv})${probe.error ? ` - ${probe.error}` : ''}`,
    );
  }
  if (!credentials) advice.push(`no credentials found: ${requirement.login}`);
  return {
    name: requirement.name,
    binary: probe.binary,
    installed,
    ...(probe.version ? { version: probe.version } : {}),
    credentials,
    unattended: unattended.ok,
    status: !installed ? 'missing' : !credentials ? 'no-credentials' : 'ready',
    advice,
    notes: [
      ...(credentials ? [`credentials: ${probe.credentials.join(', ')}`] : []),
      `unattended: ${unattended.note}`,
    ],
  };
}

/**
 * Checks every agent CLI without spending tokens: runs `<binary> --version`
 * (time-limited), looks for credential variables and login files. Never
 * prints or returns a credential's value.
 */
export async function diagnoseAgents(
  options: {
    env?: NodeJS.ProcessEnv;
    home?: string;
    isRoot?: boolean;
    timeoutMs?: number;
    agents?: readonly AgentRequirement[];
  } = {},
): Promise<AgentDiagnosis[]> {
  const env = options.env ?? process.env;
  const home = options.home ?? env.HOME ?? '';
  const isRoot = options.isRoot ?? process.getuid?.() === 0;
  const list = options.agents ?? AGENT_REQUIREMENTS;
  return Promise.all(
    list.map(async (req) => {
      const binary = env[req.binEnv] || req.command;
      const run = await versionOf(binary, env, options.timeoutMs ?? 60_000);
      const configured = req.configuredKeyEnv?.(env, home) ?? [];
      const credentials = [
        ...req.keyEnv.filter((k) => Boolean(env[k])),
        ...configured.filter((k) => Boolean(env[k.name])).map((k) => `${k.name} (${k.where})`),
        ...req.loginFiles.filter((f) => home && existsSync(join(home, f))).map((f) => `~/${f}`),
      ];
      // A key the CLI's configuration names is the one to set when none is found.
      let login = configured.length
        ? { ...req, login: `set ${configured.map((k) => `${k.name} (${k.where})`).join(', ')}` }
        : req;
      const unread = (req.unreadKeyEnv ?? []).filter((k) => Boolean(env[k.name]));
      if (unread.length) {
        login = {
          ...login,
          login: `${login.login}; ${unread.map((k) => `${k.name} is set, but ${req.command} does not read it: ${k.fix}`).join('; ')}`,
        };
      }
      return diagnoseAgent(login, { name: req.name, binary, ...run, credentials }, isRoot);
    }),
  );
}

function versionOf(
  binary: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ version?: string; error?: string }> {
  return new Promise((resolve) => {
    let out = '';
    let settled = false;
    const done = (r: { version?: string; error?: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const child = spawn(binary, ['--version'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done({ error: `--version did not answer within ${Math.round(timeoutMs / 1000)} s` });
    }, timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      out += d;
    });
    child.on('error', (e: NodeJS.ErrnoException) =>
      done({ error: e.code === 'ENOENT' ? 'not found' : e.message }),
    );
    child.on('close', (code) => {
      const line = out.trim().split('\n')[0]?.trim();
      done(code === 0 && line ? { version: line } : { error: `--version exited with ${code}` });
    });
  });
}

/** An agent CLI the sprint would run is not installed (or `SPRINT_<NAME>_BIN` names nothing runnable). */
export class AgentNotInstalledError extends SprintError {
  /** One entry per missing agent: its name, the binary looked for and the install command. */
  readonly missing: readonly { agent: string; binary: string; install: string; binEnv: string }[];
  constructor(missing: AgentNotInstalledError['missing']) {
    super(
      'AGENT_NOT_INSTALLED',
      missing
        .map(
          (m) =>
            `The ${m.agent} agent's CLI is not installed: "${m.binary}" is not an executable${m.binary.includes('/') ? '' : ' on PATH'}. Install it with \`${m.install}\` (or set ${m.binEnv} to its path), or pick another agent for the sprint (config.agent) or for the run.`,
        )
        .join('\n'),
    );
    this.missing = missing;
  }
}

/**
 * The CLIs among `agents` (agent names; others such as noop and shell need
 * none) whose binary (`SPRINT_<NAME>_BIN`, else the command on PATH) cannot
 * be run. Looks on disk only: nothing is started.
 */
export async function missingAgentBinaries(
  agents: Iterable<string>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<AgentNotInstalledError['missing']> {
  const missing: { agent: string; binary: string; install: string; binEnv: string }[] = [];
  for (const name of new Set(agents)) {
    const req = AGENT_REQUIREMENTS.find((r) => r.name === name);
    if (!req) continue;
    const binary = env[req.binEnv] || req.command;
    const found = await which(binary, { nothrow: true, path: env.PATH ?? '' });
    if (!found) missing.push({ agent: name, binary, install: req.install, binEnv: req.binEnv });
  }
  return missing;
}
