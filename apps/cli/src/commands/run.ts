import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Agent,
  countTasks,
  defaultHooks,
  describePlannedModel,
  escapeControls,
  escapeControlsDeep,
  notifyTamperingOnce,
  parseDuration,
  planRun,
  plural,
  RUN_LOG,
  type RunEvent,
  type RunOptions,
  type RunResult,
  SPRINT_AGENT_KEYS,
  SprintLockedError,
  SprintLogLostError,
  SprintRunner,
  type SprintSnapshot,
  type Task,
  totalTokens,
} from '@sprint/core';
import { cliAgentRegistry, type PlannedAgent, plannedAgents } from '../agents.js';
import type { CommandContext, RunCommandOptions } from '../cli.js';
import { databaseUrlOf } from '../database.js';
import { EXIT } from '../exit-codes.js';
import { colorEnabled } from '../io.js';
import { describeStopReason } from '../output/event-line.js';
import { plainReporter, type RunReporter } from '../output/run-reporter.js';
import { createStyle, statusColor } from '../output/style.js';
import { count, indentedLines, spend } from '../output/units.js';
import { displayPath, type OpenedSprint, openSprintArg } from '../sprint-arg.js';
import { UsageError } from '../usage-error.js';

type Mode = 'run' | 'resume';

/** `sprint run` and `sprint resume`: preflight, dry run, detach, or run in the foreground. */
export async function runCommand(
  ctx: CommandContext,
  sprintArg: string | undefined,
  options: RunCommandOptions,
  mode: Mode,
): Promise<number> {
  const { io } = ctx;
  let taskTimeoutMs: number | undefined;
  if (options.taskTimeout !== undefined) {
    taskTimeoutMs = parseDuration(options.taskTimeout);
    if (taskTimeoutMs === undefined || taskTimeoutMs <= 0) {
      throw new UsageError(
        `--task-timeout must be a duration like 90s, 15m or 1h (got "${options.taskTimeout}").`,
        mode,
      );
    }
  }

  const opened = await openSprintArg(ctx, sprintArg, mode);
  // The person takes the files as they are (the runner's log is gone): before anything reads them.
  if (options.trustFiles && !options.dryRun) await opened.store.trustFiles?.(opened.sprintId);
  const snapshot = await opened.store.load(opened.sprintId);
  // Tampering found on opening the sprint is notified before anything else (once per finding).
  if (snapshot.state.tampering?.length) await notifyTamperingOnce(snapshot, { env: io.env });
  const shown = displayPath(io.cwd, opened.path);
  // Before anything the state says (it is only what is left, whatever its status).
  if (snapshot.logLost) throw new SprintLogLostError(opened.sprintId, snapshot.logLost);
  const { status } = snapshot.state;
  if (status === 'completed' || status === 'cancelled') {
    throw new UsageError(
      `Sprint ${snapshot.definition.name} is already ${status}: there is nothing to run. Start a new sprint for the next tasks (sprint init), then sprint add or sprint import into it.`,
      mode,
    );
  }
  if (mode === 'resume' && options.answer !== undefined && status !== 'needs-human') {
    throw new UsageError(
      `Sprint ${snapshot.definition.name} is ${status}, not waiting for a human: there is no question to answer. See where it stands: sprint status ${quote(shown)}`,
      mode,
    );
  }
  const plan = planRun(snapshot);
  // A started sprint with nothing left (the plugin's `in-progress` with an empty queue)
  // is finished by the run, which ends it `completed`, as the plugin did.
  if (plan.length === 0 && status === 'not-started') {
    throw new UsageError(
      `The queue of sprint ${snapshot.definition.name} is empty: add a task first (sprint add ${shown} <type> ...).`,
      mode,
    );
  }

  if (options.dryRun) {
    const agentOf = await plannedAgents(snapshot, options.agent, io.env as NodeJS.ProcessEnv);
    io.stdout.write(
      options.json
        ? `${JSON.stringify(dryRunPlan(snapshot, plan, agentOf, opened.path, shown, options, mode), null, 2)}\n`
        : // The preview quotes the sprint's names and titles: their control characters are shown.
          escapeControls(
            dryRunPreview(snapshot, plan, agentOf, shown, options, mode, io.env.HOME),
            {
              newlines: true,
            },
          ),
    );
    return EXIT.ok;
  }
  if (options.detach) return detach(ctx, opened, snapshot, shown, options, mode);

  const agents = await cliAgentRegistry(
    snapshot,
    options.agent,
    options.workers ? await workerDispatch(ctx, opened, mode) : undefined,
    io.env as NodeJS.ProcessEnv,
  );
  const runner = new SprintRunner({
    store: opened.store,
    agents,
    // With --workers the step hooks (verify, git-commit) run on the worker, where the task's work is.
    hooks: options.workers ? [] : defaultHooks(snapshot.definition.config),
  });

  // With --json, stdout holds only the result: everything else goes to stderr.
  const out = options.json ? io.stderr : io.stdout;
  const style = createStyle(colorEnabled(out, io.env));
  // The live view's libraries load only on a terminal.
  const reporter: RunReporter = out.isTTY
    ? (await import('../output/live-reporter.js')).liveReporter(out, style, {
        sprintName: snapshot.definition.name,
        counts: countTasks(snapshot.state),
        costUsd: snapshot.state.costUsd,
        tokens: totalTokens(snapshot.state.tokens),
        size: {
          columns: Number(io.env.COLUMNS) || undefined,
          rows: Number(io.env.LINES) || undefined,
        },
      })
    : plainReporter(out, style);

  // Say that the run stops, where it stays on screen: inside the live view, above its region.
  const onAbort = () => {
    const signal = (io.signal.reason as { signal?: string } | undefined)?.signal;
    if (signal === undefined) return; // the reader went away: nobody to tell
    const hint = `${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping; the sprint stays resumable (press Ctrl-C again to force)...`;
    if (reporter.notice) reporter.notice(hint);
    else io.stderr.write(`\n${hint}\n`);
  };
  if (io.signal.aborted) onAbort();
  else io.signal.addEventListener('abort', onAbort, { once: true });

  // The second Ctrl-C must not leave an agent behind: kill the groups we saw start.
  const agentPids = new Set<number>();
  const offForce = io.onForce(() => {
    reporter.close();
    for (const pid of agentPids) {
      io.kill(-pid, 'SIGKILL');
      io.kill(pid, 'SIGKILL');
    }
  });
  const onEvent = (event: RunEvent) => {
    if (event.type === 'agent-pid') {
      if (event.pid === null) agentPids.clear();
      else agentPids.add(event.pid);
    }
    reporter.onEvent(event);
  };

  const runOptions: RunOptions = {
    onEvent,
    onProgress: (p) => reporter.onProgress(p),
    signal: io.signal,
    maxIterations: options.maxIterations,
    concurrency: options.concurrency,
    maxCostUsd: options.maxCostUsd,
    taskTimeoutMs,
    isolation: options.isolation,
  };
  let result: RunResult;
  try {
    result =
      mode === 'resume'
        ? await runner.resume(opened.sprintId, { ...runOptions, answer: options.answer })
        : await runner.run(opened.sprintId, runOptions);
  } finally {
    io.signal.removeEventListener('abort', onAbort);
    reporter.close();
    offForce();
  }

  const interrupted = io.signal.aborted;
  if (options.json) {
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    io.stdout.write(
      summary(result, shown, interrupted, createStyle(colorEnabled(io.stdout, io.env))),
    );
  }
  return exitCodeForResult(result, interrupted);
}

/** 0 completed or paused, 1 blocked, cancelled or a limit, 2 needs a human, 130 interrupted. */
export function exitCodeForResult(result: RunResult, interrupted: boolean): number {
  if (interrupted || result.stopReason.kind === 'interrupted') return EXIT.interrupted;
  if (result.stopReason.kind === 'limit') return EXIT.failed;
  switch (result.status) {
    case 'completed':
    case 'paused':
      return EXIT.ok;
    case 'needs-human':
      return EXIT.needsHuman;
    case 'blocked':
    case 'cancelled':
      return EXIT.failed;
    default:
      return result.stopReason.kind === 'stopped' ? EXIT.ok : EXIT.failed;
  }
}

function summary(
  raw: RunResult,
  shown: string,
  interrupted: boolean,
  style: ReturnType<typeof createStyle>,
): string {
  // What a run returns came from its agents: control characters are shown, never sent to the terminal.
  const result = escapeControlsDeep(raw);
  const lines = [
    '',
    `Sprint ${result.sprintId}: ${statusColor(style, result.status)} - ${describeStopReason(result.stopReason)}`,
    `  ${result.stepsCompleted}/${result.stepsTotal} tasks done, ${plural(result.iterations, 'iteration')} this run, ${spend(result.costUsd, result.estimatedCostUsd, result.fallbackPricing)}, ${count(totalTokens(result.tokens))} tokens, ${result.durationSeconds.toFixed(1)}s`,
  ];
  if (result.deferredItems.length) {
    lines.push('  Deferred items:', ...result.deferredItems.map((d) => `    - ${d}`));
  }
  const q = quote(shown);
  if (result.status === 'needs-human' && result.humanNeeded) {
    const h = result.humanNeeded;
    lines.push(
      `  ${style.yellow('Needs a human')} (task ${h.taskId}): ${h.reason}`,
      ...(raw.humanNeeded?.details ? indentedLines(raw.humanNeeded.details, '    ') : []),
      ...h.options.map((o, i) => `    ${i + 1}. ${o}`),
      `  Answer and continue: sprint resume ${q} --answer "..."`,
    );
  } else if (interrupted) {
    lines.push(
      `  Interrupted: the running task went back to pending. Continue: sprint resume ${q}`,
    );
  } else if (result.status !== 'completed' && result.status !== 'cancelled') {
    lines.push(`  Continue: sprint resume ${q}`);
  }
  return `${lines.join('\n')}\n`;
}

function quote(path: string): string {
  return /^[\w./@:+-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}

/** The command that runs the previewed sprint for real. */
function realRunCommand(
  plan: ReturnType<typeof planRun>,
  shown: string,
  options: RunCommandOptions,
  mode: Mode,
): string {
  const suggested = options.maxIterations ?? Math.max(30, plan.length * 2);
  return `sprint ${mode} ${quote(shown)} --max-iterations ${suggested}${options.agent ? ` --agent ${options.agent}` : ''}`;
}

/** `--dry-run --json`: the preview as one JSON document. */
function dryRunPlan(
  snapshot: SprintSnapshot,
  plan: ReturnType<typeof planRun>,
  agentOf: (task: Task) => PlannedAgent | undefined,
  path: string,
  shown: string,
  options: RunCommandOptions,
  mode: Mode,
) {
  return {
    dryRun: true,
    sprintId: snapshot.definition.id,
    name: snapshot.definition.name,
    directory: path,
    status: snapshot.state.status,
    tasks: plan.map(({ task, label, status }, i) => ({
      position: i + 1,
      type: task.type,
      id: task.id,
      label,
      priority: task.priority,
      dependsOn: task.dependsOn,
      status,
      agent: agentOf(task)?.agent ?? null,
      // null: nothing sprint can read names one, so the CLI takes its own default.
      model: agentOf(task)?.model?.model ?? null,
      // What chose it: `task`, `sprint`, `options`, or the CLI's `file` / `env` that sets it.
      modelSource: agentOf(task)?.model?.source ?? null,
    })),
    totals: { tasks: plan.length, estimatedIterations: plan.length },
    command: realRunCommand(plan, shown, options, mode),
  };
}

/** The original /run-sprint dry-run preview, in execution order. */
function dryRunPreview(
  snapshot: SprintSnapshot,
  plan: ReturnType<typeof planRun>,
  agentOf: (task: Task) => PlannedAgent | undefined,
  shown: string,
  options: RunCommandOptions,
  mode: Mode,
  home: string | undefined,
): string {
  const lines = [
    'Dry Run: Sprint Preview',
    '========================',
    '',
    `Sprint: ${snapshot.definition.name}`,
    `Directory: ${shown}`,
    `Status: ${snapshot.state.status}`,
    '',
    'Tasks to Execute (in order):',
    '-----------------------------',
  ];
  plan.forEach(({ task, label }, i) => {
    lines.push(
      `${i + 1}. [${task.type}] ${task.id}`,
      `   ${label}`,
      `   Priority: ${task.priority}`,
      `   Agent: ${agentLine(agentOf(task), home)}`,
    );
    if (task.dependsOn.length) lines.push(`   Depends on: ${task.dependsOn.join(', ')}`);
    lines.push('');
  });
  lines.push(
    'Summary:',
    `- Total tasks: ${plan.length}`,
    `- Estimated iterations: ${plan.length} (1 per task)`,
    '',
    'To start execution, run without --dry-run:',
    `  ${realRunCommand(plan, shown, options, mode)}`,
    '',
  );
  return lines.join('\n');
}

/** `codex (model gpt-5, from ~/.codex/config.toml)`, `claude (its default model)`, `shell`. */
function agentLine(planned: PlannedAgent | undefined, home: string | undefined): string {
  if (!planned) return 'none';
  if (planned.model) {
    return `${planned.agent} (${describePlannedModel(planned.agent, planned.model, home)})`;
  }
  return SPRINT_AGENT_KEYS[planned.agent]?.includes('model')
    ? `${planned.agent} (its default model)`
    : planned.agent;
}

/** Starts this same CLI in the background on the sprint, logging to run.log, and returns once it holds the sprint. */
async function detach(
  ctx: CommandContext,
  opened: OpenedSprint,
  snapshot: SprintSnapshot,
  shown: string,
  options: RunCommandOptions,
  mode: Mode,
): Promise<number> {
  const { io } = ctx;
  // Another live run holds the sprint: say who, rather than start a run that dies at once.
  const held = await opened.store.inspectLock(opened.sprintId);
  if (held?.alive) throw new SprintLockedError(opened.sprintId, held);
  const runtimeDir = snapshot.runtimeDir ?? snapshot.sprintDir;
  if (!runtimeDir)
    throw new UsageError(
      'This sprint has no directory for a run log: run it without --detach.',
      mode,
    );
  mkdirSync(runtimeDir, { recursive: true });
  const logFile = join(runtimeDir, RUN_LOG);
  const args = [...io.self.execArgv, io.self.script, mode, opened.path];
  if (options.maxIterations !== undefined)
    args.push('--max-iterations', String(options.maxIterations));
  if (options.agent !== undefined) args.push('--agent', options.agent);
  if (options.concurrency !== undefined) args.push('--concurrency', String(options.concurrency));
  if (options.maxCostUsd !== undefined) args.push('--max-cost-usd', String(options.maxCostUsd));
  if (options.taskTimeout !== undefined) args.push('--task-timeout', options.taskTimeout);
  if (options.answer !== undefined) args.push('--answer', options.answer);
  if (options.isolation !== undefined) args.push('--isolation', options.isolation);

  const fd = openSync(logFile, 'a');
  let exited: number | null | undefined;
  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(io.self.node, args, {
      cwd: io.cwd,
      detached: true,
      stdio: ['ignore', fd, fd],
      // No colour in the log file: no FORCE_COLOR either, which would override NO_COLOR.
      env: { ...io.env, NO_COLOR: '1', FORCE_COLOR: undefined },
    });
  } finally {
    closeSync(fd);
  }
  child.on('exit', (code) => {
    exited = code;
  });
  child.unref();
  const pid = child.pid;

  // Wait until the background run holds the sprint, so that a status or stop right after sees it.
  const deadline = Date.now() + 10_000;
  let holding = false;
  while (Date.now() < deadline && exited === undefined && !io.signal.aborted) {
    const lock = await opened.store.inspectLock(opened.sprintId);
    if (lock?.alive && lock.pid === pid) {
      holding = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!holding && exited !== undefined) {
    const result = await opened.store.loadResult(opened.sprintId).catch(() => null);
    io.stderr.write(
      `The background run ended at once (exit ${exited}). See ${displayPath(io.cwd, logFile)}.\n`,
    );
    if (options.json)
      io.stdout.write(`${JSON.stringify({ pid, logFile, exitCode: exited, result }, null, 2)}\n`);
    return exited ?? EXIT.failed;
  }

  const q = quote(shown);
  if (options.json) {
    io.stdout.write(`${JSON.stringify({ pid, logFile, sprint: opened.path }, null, 2)}\n`);
    return EXIT.ok;
  }
  io.stdout.write(
    [
      `Sprint ${escapeControls(snapshot.definition.name)} is running in the background (pid ${pid}).`,
      `  Log:     ${displayPath(io.cwd, logFile)}`,
      `  Follow:  sprint logs ${q} --follow    or    sprint status ${q} --watch`,
      `  Pause:   sprint pause ${q}     (after the running task)`,
      `  Stop:    sprint stop ${q}      (now; the task goes back to pending)`,
      '',
    ].join('\n'),
  );
  return EXIT.ok;
}

/**
 * For `run --workers`: each task goes to a `sprint worker` through the
 * database's task queue; this process still decides everything else.
 */
async function workerDispatch(
  ctx: CommandContext,
  opened: OpenedSprint,
  mode: 'run' | 'resume',
): Promise<(agent: string) => Agent> {
  const url = databaseUrlOf(ctx);
  if (opened.format !== 'database' || !url) {
    throw new UsageError(
      '--workers needs a database sprint: give --database-url (or set SPRINT_DATABASE_URL), and sprint push the sprint first.',
      mode,
    );
  }
  const { PostgresStore, WorkerDispatchAgent, startTaskQueue } = await import(
    '@sprint/store-postgres'
  );
  const store = opened.store as InstanceType<typeof PostgresStore>;
  const boss = await startTaskQueue(store, { connectionString: url });
  ctx.cleanups.unshift(() => boss.stop({ graceful: false, close: true }));
  return (agent) => new WorkerDispatchAgent(agent, boss, store);
}
