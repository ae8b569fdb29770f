import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { WorkerOptions } from './commands/worker.js';
import { EXIT } from './exit-codes.js';
import type { CliIo } from './io.js';
import { colorEnabled } from './io.js';
import { errorDocument } from './report-error.js';
import { AGENT_NAMES, DEFAULT_SPRINTS_DIR, USAGE, usageText } from './usage.js';
import { UsageError } from './usage-error.js';
import { version } from './version.js';

/** What every command's action gets besides its own arguments. */
export interface CommandContext {
  io: CliIo;
  /** `--database-url`: sprints are in this database instead of files. */
  databaseUrl?: string;
  /** Run when the command ends, last registered first (closing database connections). */
  cleanups: (() => Promise<void>)[];
}

function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1) {
    throw new InvalidArgumentError('Must be a positive integer.');
  }
  return Number(value);
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError('Must be a positive number.');
  }
  return n;
}

function port(value: string): number {
  const n = value === '0' ? 0 : positiveInteger(value);
  if (n > 65535) throw new InvalidArgumentError('Must be a port number (1-65535).');
  return n;
}

const SPRINT_ARG =
  'sprint directory or Markdown sprint document (default: the latest under .claude/sprints/)';

/** Options of `import`. */
interface ImportCommandOptions {
  github?: string;
  fromM42?: string;
  into?: string;
  workflows?: string;
  label?: string[];
  milestone?: string;
  state?: 'open' | 'closed' | 'all';
  json?: boolean;
}

/** Options shared by `run` and `resume`. */
export interface RunCommandOptions {
  maxIterations?: number;
  dryRun?: boolean;
  agent?: (typeof AGENT_NAMES)[number];
  concurrency?: number;
  maxCostUsd?: number;
  taskTimeout?: string;
  json?: boolean;
  detach?: boolean;
  answer?: string;
  workers?: boolean;
  isolation?: 'auto' | 'worktree' | 'shared';
  trustFiles?: boolean;
}

/** `--agent`, for `run`/`resume` and for `validate`, which checks what that run would check. */
function agentOption(): Option {
  return new Option(
    '--agent <name>',
    "agent for every task (otherwise the sprint's configuration decides)",
  ).choices(AGENT_NAMES);
}

function addRunOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--max-iterations <n>',
        "agent runs this call may start (default: 30, or the sprint's max-iterations)",
      ).argParser(positiveInteger),
    )
    .option('--dry-run', 'show the tasks in execution order and change nothing')
    .addOption(agentOption())
    .addOption(
      new Option(
        '--concurrency <n>',
        "tasks run at once (default: 1, or the sprint's concurrency)",
      ).argParser(positiveInteger),
    )
    .addOption(
      new Option('--max-cost-usd <x>', 'total spend at which no further task starts').argParser(
        positiveNumber,
      ),
    )
    .addOption(
      new Option(
        '--task-timeout <duration>',
        "time limit per task, like 90s, 15m or 1h (default: 30m, or the sprint's task-timeout)",
      ),
    )
    .addOption(
      new Option(
        '--isolation <mode>',
        "worktree: a git worktree per task, merged back through a queue; shared: one working tree; auto: worktrees when tasks run at once in git (default: the sprint's isolation, else auto)",
      ).choices(['auto', 'worktree', 'shared']),
    )
    .option('--json', 'print the run result as one JSON document on stdout')
    .option('--detach', 'run in the background; print how to follow, pause and stop it')
    .option(
      '--workers',
      'hand each task to a `sprint worker` (database sprints); this process decides the rest',
    )
    .option(
      '--trust-files',
      "when the runner's log is gone or replaced and no run starts (exit 65): take PROGRESS.yaml (or the document) as it is, for runner files you removed or replaced yourself",
    );
}

/** Builds the program. Actions load their command module only when they run. */
export function buildProgram(ctx: CommandContext, setExit: (code: number) => void): Command {
  const { io } = ctx;
  const program = new Command('sprint')
    .description('Run a software sprint with AI coding agents, one fresh agent per task.')
    .version(version, '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
      getOutHasColors: () => colorEnabled(io.stdout, io.env),
      getErrHasColors: () => colorEnabled(io.stderr, io.env),
    })
    .showSuggestionAfterError()
    .helpCommand(false)
    .option(
      '--database-url <url>',
      'keep sprints in this database (postgres://... or pglite:./dir); default: $SPRINT_DATABASE_URL, else files',
    )
    .hook('preAction', (root) => {
      const url = root.opts<{ databaseUrl?: string }>().databaseUrl;
      if (url !== undefined) ctx.databaseUrl = url;
    })
    .addHelpText(
      'after',
      `
<sprint> is a sprint directory (SPRINT.yaml + PROGRESS.yaml) or a Markdown
sprint document. Left out, the most recently created sprint under the nearest
${DEFAULT_SPRINTS_DIR}/ (here or in a parent directory) is used, and named on stderr.

Examples:
  $ sprint init auth-rework
  $ sprint add custom --description "Write the changelog" --done-when "CHANGELOG.md exists"
  $ sprint run --dry-run
  $ sprint run --max-iterations 20
  $ sprint status --watch
  $ sprint run --detach && sprint logs --follow

Exit codes: 0 completed, paused or dry run; 1 blocked or a limit reached;
2 needs a human; 64 usage error; 65 invalid sprint data; 75 another run holds
the sprint (try again when it ends); 130 interrupted.`,
    );

  const command = (name: string, description: string): Command => {
    const cmd = program.command(name).description(description);
    const entry = USAGE[name];
    cmd.showHelpAfterError(`\n${usageText(name)}`);
    if (entry) {
      cmd.addHelpText('after', `\nExamples:\n${entry.examples.map((e) => `  $ ${e}`).join('\n')}`);
    }
    return cmd;
  };

  const act =
    <A extends unknown[]>(handler: (...args: A) => Promise<number>) =>
    async (...args: A) => {
      setExit(await handler(...args));
    };

  addRunOptions(
    command('run', 'run the sprint: one fresh agent per task until done, blocked or a limit'),
  )
    .argument('[sprint]', SPRINT_ARG)
    .action(
      act(async (sprint: string | undefined, options: RunCommandOptions) => {
        const { runCommand } = await import('./commands/run.js');
        return runCommand(ctx, sprint, options, 'run');
      }),
    );

  addRunOptions(command('resume', 'continue a paused, stopped or blocked sprint in the foreground'))
    .argument('[sprint]', SPRINT_ARG)
    .option('--answer <text>', "the human's answer, when the sprint needs one")
    .action(
      act(async (sprint: string | undefined, options: RunCommandOptions) => {
        const { runCommand } = await import('./commands/run.js');
        return runCommand(ctx, sprint, options, 'resume');
      }),
    );

  command('status', 'show where the sprint stands')
    .argument('[sprint]', SPRINT_ARG)
    .option('--json', 'print the status as one JSON document on stdout')
    .option('--watch', 'follow live until the run ends')
    .action(
      act(async (sprint: string | undefined, options: { json?: boolean; watch?: boolean }) => {
        const { statusCommand } = await import('./commands/status.js');
        return statusCommand(ctx, sprint, options);
      }),
    );

  command('logs', "print the sprint's event log, agent tool calls included")
    .argument('[sprint]', SPRINT_ARG)
    .option('-f, --follow', 'keep printing new events until the run ends')
    .option('--json', 'one JSON event per line')
    .action(
      act(async (sprint: string | undefined, options: { follow?: boolean; json?: boolean }) => {
        const { logsCommand } = await import('./commands/logs.js');
        return logsCommand(ctx, sprint, options);
      }),
    );

  for (const [name, description] of [
    ['pause', 'pause after the running task ends (the task finishes first)'],
    ['stop', 'stop now: end the running agent, put its task back to pending'],
  ] as const) {
    command(name, description)
      .argument('[sprint]', SPRINT_ARG)
      .action(
        act(async (sprint: string | undefined) => {
          const { controlCommand } = await import('./commands/control.js');
          return controlCommand(ctx, sprint, name, {});
        }),
      );
  }

  command('cancel', 'cancel the sprint for good: end the running agent, record the reason')
    .argument('[sprint]', SPRINT_ARG)
    .requiredOption('--reason <text>', 'why the sprint is cancelled')
    .action(
      act(async (sprint: string | undefined, options: { reason: string }) => {
        const { controlCommand } = await import('./commands/control.js');
        return controlCommand(ctx, sprint, 'cancel', options);
      }),
    );

  command('skip', 'skip a pending, failed or blocked task, saying why (its dependents may run)')
    .argument('<sprint>', 'sprint directory or Markdown sprint document')
    .argument('<task>', 'the id of the task to skip')
    .requiredOption('--reason <text>', 'why the task is skipped')
    .option('--json', 'print the change as one JSON document on stdout')
    .action(
      act(async (sprint: string, task: string, options: { reason: string; json?: boolean }) => {
        const { taskControlCommand } = await import('./commands/task-control.js');
        return taskControlCommand(ctx, sprint, task, 'skip', options);
      }),
    );

  command('retry', 'give a blocked (or skipped) task another attempt on the next run')
    .argument('<sprint>', 'sprint directory or Markdown sprint document')
    .argument('<task>', 'the id of the task to retry')
    .option('--json', 'print the change as one JSON document on stdout')
    .action(
      act(async (sprint: string, task: string, options: { json?: boolean }) => {
        const { taskControlCommand } = await import('./commands/task-control.js');
        return taskControlCommand(ctx, sprint, task, 'retry', options);
      }),
    );

  command('clean', "remove every git worktree and branch the sprint's tasks made")
    .argument('[sprint]', SPRINT_ARG)
    .option('--json', 'print what was removed as one JSON document on stdout')
    .action(
      act(async (sprint: string | undefined, options: { json?: boolean }) => {
        const { cleanCommand } = await import('./commands/clean.js');
        return cleanCommand(ctx, sprint, options);
      }),
    );

  command('init', 'create a sprint directory (SPRINT.yaml, PROGRESS.yaml, context/, artifacts/)')
    .argument('<name>', 'the sprint name, like auth-rework')
    .option('--dir <dir>', 'where sprints live', DEFAULT_SPRINTS_DIR)
    .option('--goal <text...>', 'a goal of the sprint (repeatable)')
    .action(
      act(async (name: string, options: { dir: string; goal?: string[] }) => {
        const { initCommand } = await import('./commands/init.js');
        return initCommand(ctx, name, options);
      }),
    );

  command('add', 'add a task: implement-issue, refactor, update-docs, custom, or your own type')
    .usage('[<sprint>] <type> [--field value ...] [--json]')
    .argument('[args...]', '[<sprint>] <type>')
    .allowUnknownOption()
    .helpOption('-h, --help', 'display help for command')
    .addHelpText(
      'after',
      `
Fields are given as --name value, in the sprint file's own spelling:
  implement-issue  --issue-number N  [--repo R] [--branch B] [--pr-template T]
  refactor         --target-path P --goal G  [--constraints C] [--test-command C]
  update-docs      --doc-path P --changes C  [--source-files F] [--validate V]
  custom           --description D --done-when W  [--context-files F] [--output-path P]
  every type       [--id ID] [--priority critical|high|medium|low] [--depends-on a,b]
                   [--command CMD] [--title T] [--description D] [--verify CMD]
                   [--estimate E] [--labels a,b] [--blocked-by a,b]
                   [--agent NAME] [--model M]  (this task's agent and model)
Your own types take any --field. Without --id the id follows the type's
convention (implement-issue-<n>, refactor-<name>, ...).
--json prints the result as one JSON document on stdout.`,
    )
    .action(
      act(async (args: string[], _options: unknown, cmd: Command) => {
        const { addCommand } = await import('./commands/add.js');
        return addCommand(ctx, args, cmd.args);
      }),
    );

  command(
    'import',
    'import tasks from a YAML file or GitHub issues (tasks already present are skipped)',
  )
    .usage(
      '[<sprint>] <tasks.yaml> | [<sprint>] --github OWNER/REPO [--label L] [--milestone M] | --from-m42 <dir> [--into <dir>] [--workflows <dir>]',
    )
    .argument('[args...]', '[<sprint>] <tasks.yaml>')
    .option('--github <owner/repo>', 'one implement-issue task per GitHub issue of the repository')
    .option(
      '--label <name>',
      'with --github: only issues with this label (repeat it: issues with all of them)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option('--milestone <title>', 'with --github: only issues of this milestone (title or number)')
    .addOption(
      new Option('--state <state>', 'with --github: issue state (default: open)').choices([
        'open',
        'closed',
        'all',
      ]),
    )
    .option(
      '--from-m42 <dir>',
      "a new sprint from one in m42's workflow format (the original stays unchanged)",
    )
    .option('--into <dir>', 'with --from-m42: where the new sprint goes (default: <dir>-imported)')
    .option(
      '--workflows <dir>',
      'with --from-m42: the m42 workflow files to compile a sprint without PROGRESS.yaml with (default: the nearest .claude/workflows at or above <dir>)',
    )
    .option('--json', 'with --github or --from-m42: print the result as one JSON document')
    .action(
      act(async (args: string[], options: ImportCommandOptions) => {
        if (options.fromM42 !== undefined) {
          if (options.github !== undefined) {
            throw new UsageError('Use --github or --from-m42, not both.', 'import');
          }
          const { importM42Command } = await import('./commands/import-m42.js');
          return importM42Command(ctx, args, { ...options, fromM42: options.fromM42 });
        }
        if (options.into !== undefined || options.workflows !== undefined) {
          throw new UsageError(
            `${options.into !== undefined ? '--into' : '--workflows'} goes with --from-m42.`,
            'import',
          );
        }
        if (options.github !== undefined) {
          const { importGithubCommand } = await import('./commands/import-github.js');
          return importGithubCommand(ctx, args, { ...options, github: options.github });
        }
        if (options.label || options.milestone || options.state || options.json) {
          throw new UsageError(
            '--label, --milestone, --state and --json go with --github.',
            'import',
          );
        }
        if (args.length === 0) {
          throw new UsageError('Name a tasks file (or --github OWNER/REPO).', 'import');
        }
        const { importCommand } = await import('./commands/import.js');
        return importCommand(ctx, args);
      }),
    );

  command('validate', "check the sprint's files without changing them")
    .argument('[sprint]', SPRINT_ARG)
    .option('--json', 'print the problems as JSON')
    .addOption(agentOption())
    .action(
      act(async (sprint: string | undefined, options: { json?: boolean; agent?: string }) => {
        const { validateCommand } = await import('./commands/validate.js');
        return validateCommand(ctx, sprint, options);
      }),
    );

  command(
    'doctor',
    'check the agent CLIs: installed, versions, credentials, unattended mode (spends no tokens)',
  )
    .option('--json', 'print the report as JSON')
    .action(
      act(async (options: { json?: boolean }) => {
        const { doctorCommand } = await import('./commands/doctor.js');
        return doctorCommand(ctx, options);
      }),
    );

  command('list', 'list the sprints in a directory')
    .option('--dir <dir>', 'where sprints live', DEFAULT_SPRINTS_DIR)
    .option('--json', 'print the list as JSON')
    .action(
      act(async (options: { dir: string; json?: boolean }) => {
        const { listCommand } = await import('./commands/list.js');
        return listCommand(ctx, options);
      }),
    );

  command('worker', 'run tasks of database sprints handed out by `sprint run --workers`')
    .addOption(
      new Option('--concurrency <n>', 'tasks run at once, per agent (default: 1)').argParser(
        positiveInteger,
      ),
    )
    .option('--agents <names>', `agents this worker runs (default: ${AGENT_NAMES.join(',')})`)
    .option(
      '--name <name>',
      "name in the workers list (default: the host's name, -2, -3... while a live worker here holds it)",
    )
    .option(
      '--repo <url-or-path>',
      "shared git remote: tasks run in worktrees of this worker's own clone and are integrated on sprint/<id> (default: the project's origin, when it has one)",
    )
    .option(
      '--clone-dir <dir>',
      "where the worker's clone lives (default: .sprint-worker/<name>); one live worker per clone (exit 75 while another holds it)",
    )
    .option(
      '--merge-verify <command>',
      'run on the integrated tree before the integrated branch moves',
    )
    .addOption(
      new Option(
        '--integration-lease-ms <ms>',
        'how long the integration lease lasts without renewal (default: 30000)',
      ).argParser(positiveInteger),
    )
    .action(
      act(async (options: WorkerOptions) => {
        const { workerCommand } = await import('./commands/worker.js');
        return workerCommand(ctx, options);
      }),
    );

  command('push', 'copy a file sprint (directory or Markdown document) into the database')
    .argument('<sprint>', 'the sprint directory or document to copy')
    .action(
      act(async (sprint: string) => {
        const { pushCommand } = await import('./commands/push.js');
        return pushCommand(ctx, sprint);
      }),
    );

  command('pull', 'write a database sprint back as a sprint directory')
    .argument('<id>', "the sprint's id in the database")
    .option('--dir <dir>', 'where to write it', DEFAULT_SPRINTS_DIR)
    .action(
      act(async (id: string, options: { dir: string }) => {
        const { pullCommand } = await import('./commands/pull.js');
        return pullCommand(ctx, id, options);
      }),
    );

  command('serve', 'serve the HTTP API for the sprints under a directory')
    .addOption(
      new Option('--port <n>', 'port to listen on; 0 picks a free one (default: 4317)').argParser(
        port,
      ),
    )
    .option(
      '--host <host>',
      'address to listen on; other than loopback needs SPRINT_API_TOKEN (default: 127.0.0.1)',
    )
    .option('--root <dir>', 'where sprints live', DEFAULT_SPRINTS_DIR)
    .option(
      '--agents <names>',
      "the agents requests may use, comma-separated (default: claude,noop; shell runs commands with the server's rights)",
    )
    .option(
      '--allow-task-commands',
      "accept tasks' shell `command` and `verify` in requests (they run with the server's rights)",
    )
    .option(
      '--allow-notify-urls <prefixes>',
      'webhook and Slack URLs a request may name, comma-separated URL prefixes or * (default: SPRINT_ALLOW_NOTIFY_URLS, else none: the server posts to them)',
    )
    .action(
      act(
        async (options: {
          port?: number;
          host?: string;
          root?: string;
          agents?: string;
          allowTaskCommands?: boolean;
          allowNotifyUrls?: string;
        }) => {
          const { serveCommand } = await import('./commands/serve.js');
          return serveCommand(ctx, options);
        },
      ),
    );

  return program;
}

/**
 * Runs `argv` through the argument parser and the command it names. Errors
 * other than the parser's own reach the caller (`main` reports them).
 */
export async function runProgram(argv: string[], ctx: CommandContext): Promise<number> {
  const { io } = ctx;
  let exitCode: number = EXIT.ok;
  try {
    const program = buildProgram(ctx, (code) => {
      exitCode = code;
    });
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return EXIT.usage;
    }
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // Commander has already printed its message (and our usage block).
    if (
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      error.code === 'commander.help'
    ) {
      return EXIT.ok;
    }
    if (argv.includes('--json')) io.stdout.write(errorDocument(error, EXIT.usage));
    return EXIT.usage;
  }
}
