/**
 * What a sprint file may set under `config.<agent>` for the agent CLIs, kebab-case
 * as written (the camelCase spelling is accepted too). Each agent package
 * checks its own option schema against this list in its tests.
 */
const TIMEOUT_KEYS = ['timeout-ms', 'idle-timeout-ms'] as const;

export const SPRINT_AGENT_KEYS: Readonly<Record<string, readonly string[]>> = {
  claude: [
    'model',
    'permission-mode',
    'allowed-tools',
    'disallowed-tools',
    'max-turns',
    'max-budget-usd',
    'append-system-prompt',
    ...TIMEOUT_KEYS,
    'kill-grace-ms',
  ],
  codex: ['model', ...TIMEOUT_KEYS],
  gemini: ['model', ...TIMEOUT_KEYS],
  opencode: ['model', ...TIMEOUT_KEYS],
};

/**
 * Options of an agent that only the program running the sprint chooses (a
 * sprint may come from a repository or an API request): the binary, its
 * arguments and environment.
 */
export const OPERATOR_AGENT_KEYS: readonly string[] = [
  'binary',
  'env',
  'inherit-env',
  'extra-args',
  'cwd',
  'name',
];

/** `maxTurns` -> `max-turns`; kebab-case stays as it is. */
export function kebabKey(key: string): string {
  return key.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);
}
