// Agents `--agent` accepts, and where `sprint` looks for sprints when none is named: core's.
export { AGENT_NAMES, DEFAULT_SPRINTS_DIR } from '@sprint/core';

/** The one-line usage and examples of each command, shown after a usage error. */
export const USAGE: Record<string, { usage: string; examples: string[] }> = {
  doctor: {
    usage: 'sprint doctor [--json]',
    examples: ['sprint doctor', 'sprint doctor --json'],
  },
  run: {
    usage:
      'sprint run <sprint> [--max-iterations N] [--dry-run] [--agent NAME] [--concurrency N] [--max-cost-usd X] [--task-timeout DURATION] [--isolation auto|worktree|shared] [--json] [--detach] [--trust-files]',
    examples: [
      'sprint run .claude/sprints/2026-01-15_my-sprint --max-iterations 50',
      'sprint run .claude/sprints/2026-01-15_my-sprint --dry-run',
      'sprint run docs/sprint-08_core-runner.md --agent claude --max-cost-usd 5',
    ],
  },
  resume: {
    usage: 'sprint resume [<sprint>] [--answer TEXT] [run options]',
    examples: [
      'sprint resume',
      'sprint resume .claude/sprints/2026-01-15_my-sprint --answer "Use the v2 API"',
    ],
  },
  status: {
    usage: 'sprint status [<sprint>] [--json] [--watch]',
    examples: ['sprint status', 'sprint status .claude/sprints/2026-01-15_my-sprint --json'],
  },
  logs: {
    usage: 'sprint logs [<sprint>] [--follow] [--json]',
    examples: ['sprint logs', 'sprint logs .claude/sprints/2026-01-15_my-sprint --follow'],
  },
  pause: {
    usage: 'sprint pause [<sprint>]',
    examples: ['sprint pause', 'sprint pause .claude/sprints/2026-01-15_my-sprint'],
  },
  stop: {
    usage: 'sprint stop [<sprint>]',
    examples: ['sprint stop', 'sprint stop .claude/sprints/2026-01-15_my-sprint'],
  },
  cancel: {
    usage: 'sprint cancel [<sprint>] --reason TEXT',
    examples: ['sprint cancel --reason "Requirements changed"'],
  },
  skip: {
    usage: 'sprint skip <sprint> <task> --reason TEXT [--json]',
    examples: [
      'sprint skip .claude/sprints/2026-01-15_my-sprint flaky-e2e --reason "covered by a manual check"',
    ],
  },
  retry: {
    usage: 'sprint retry <sprint> <task> [--json]',
    examples: ['sprint retry .claude/sprints/2026-01-15_my-sprint flaky-e2e'],
  },
  worker: {
    usage:
      'sprint worker [--concurrency N] [--agents claude,codex,shell] [--name W] --database-url URL',
    examples: [
      'sprint worker --database-url postgres://sprint@db:5432/sprints --concurrency 4 --agents claude',
    ],
  },
  push: {
    usage: 'sprint push <sprint> --database-url URL',
    examples: [
      'sprint push .claude/sprints/2026-01-15_my-sprint --database-url postgres://sprint@db:5432/sprints',
      'SPRINT_DATABASE_URL=pglite:./.sprint-db sprint push docs/sprint-08_core-runner.md',
    ],
  },
  pull: {
    usage: 'sprint pull <id> [--dir DIR] --database-url URL',
    examples: [
      'sprint pull 2026-01-15_my-sprint --dir .claude/sprints --database-url pglite:./.sprint-db',
    ],
  },
  clean: {
    usage: 'sprint clean [<sprint>] [--json]',
    examples: ['sprint clean', 'sprint clean .claude/sprints/2026-01-15_my-sprint'],
  },
  init: {
    usage: 'sprint init <name> [--dir DIR] [--goal TEXT ...]',
    examples: [
      'sprint init auth-rework',
      'sprint init auth-rework --goal "Ship OAuth" --dir sprints',
    ],
  },
  add: {
    usage: 'sprint add [<sprint>] <type> [--field value ...] [--json]',
    examples: [
      'sprint add implement-issue --issue-number 42 --priority high',
      'sprint add refactor --target-path src/auth --goal "Split the session module"',
      'sprint add update-docs --doc-path README.md --changes "Document sprint add"',
      'sprint add custom --description "Write a changelog" --done-when "CHANGELOG.md exists" --depends-on refactor-auth',
      'sprint add lint --id lint-all --command "pnpm lint"',
    ],
  },
  import: {
    usage:
      'sprint import [<sprint>] <tasks.yaml>\n       sprint import [<sprint>] --github OWNER/REPO [--label L] [--milestone M] [--state open|closed|all] [--json]\n       sprint import --from-m42 <dir> [--into <dir>] [--workflows <dir>] [--json]',
    examples: [
      'sprint import tasks.yaml',
      'sprint import .claude/sprints/2026-01-15_my-sprint tasks.yaml',
      'sprint import --github acme/web --label sprint',
      'GITHUB_API_URL=https://ghe.example.com/api/v3 sprint import --github team/app --milestone v2',
      'sprint import --from-m42 .claude/sprints/2026-02-05_claudemd-commands',
      'sprint import --from-m42 ~/m42/.claude/sprints/2026-02-01_x --workflows ~/m42/.claude/workflows',
    ],
  },
  validate: {
    usage: 'sprint validate [<sprint>] [--json]',
    examples: ['sprint validate', 'sprint validate docs/sprint-08_core-runner.md'],
  },
  list: {
    usage: 'sprint list [--dir DIR] [--json]',
    examples: ['sprint list', 'sprint list --dir sprints --json'],
  },
  serve: {
    usage: 'sprint serve [--port N] [--host HOST] [--root DIR] [--allow-task-commands]',
    examples: [
      'sprint serve',
      'sprint serve --port 8787 --root .claude/sprints',
      'SPRINT_API_TOKEN=$(openssl rand -base64 32) sprint serve --host 0.0.0.0',
    ],
  },
};

/** The usage block printed after a usage error, as the original /run-sprint did. */
export function usageText(command: string): string {
  const entry = USAGE[command];
  if (!entry) return 'Run "sprint --help" for usage.';
  return [
    `Usage: ${entry.usage}`,
    '',
    ...entry.examples.map((e) => `Example: ${e}`),
    '',
    `Run "sprint ${command} --help" for every option.`,
  ].join('\n');
}
