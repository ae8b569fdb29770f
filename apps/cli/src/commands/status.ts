import {
  describeOverview,
  describeSprint,
  escapeControls,
  escapeControlsDeep,
  notifyTamperingOnce,
  plural,
  type SprintStatusBrief,
  type SprintStatusReport,
  sprintOverview,
} from '@sprint/core';
import type { CommandContext } from '../cli.js';
import { EXIT } from '../exit-codes.js';
import { colorEnabled } from '../io.js';
import { describeStopReason } from '../output/event-line.js';
import { createStyle, type Style, statusColor } from '../output/style.js';
import { clock, count, indentedLines, progressBar, spend } from '../output/units.js';
import { sleep } from '../sleep.js';
import { displayPath, type OpenedSprint, openSprintArg } from '../sprint-arg.js';

const WATCH_POLL_MS = 250;

/** `sprint status`: where the sprint stands; `--watch` follows until the run ends. */
export async function statusCommand(
  ctx: CommandContext,
  sprintArg: string | undefined,
  options: { json?: boolean; watch?: boolean },
): Promise<number> {
  const { io } = ctx;
  const opened = await openSprintArg(ctx, sprintArg, 'status');
  // The printed status needs no task list: the store's overview answers when it is current.
  const brief = !options.json;
  const read = async (): Promise<SprintStatusBrief | SprintStatusReport> => {
    const overview = brief ? await opened.store.loadOverview?.(opened.sprintId) : undefined;
    // Tampering is notified from a full load (once per finding).
    if (overview && !overview.tampering) {
      return describeOverview(overview, await opened.store.inspectLock(opened.sprintId));
    }
    const snapshot = await opened.store.load(opened.sprintId);
    const lock = await opened.store.inspectLock(opened.sprintId);
    // Tampering found outside a run is notified (once per finding); a live run notifies its own.
    if (snapshot.state.tampering?.length && !lock?.alive) {
      await notifyTamperingOnce(snapshot, { env: io.env });
    }
    // Printed, the status needs no task list: a row per task is not built (10,000 at times).
    return brief
      ? describeOverview(sprintOverview(snapshot), lock, undefined, snapshot.logLost)
      : describeSprint(snapshot, lock);
  };
  const shown = displayPath(io.cwd, opened.path);
  let report = withNext(await read(), shown);
  if (options.json && !options.watch) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return EXIT.ok;
  }
  const style = createStyle(colorEnabled(io.stdout, io.env));
  if (!options.watch) {
    io.stdout.write(renderStatus(report, opened, shown, style));
    return EXIT.ok;
  }

  // --watch: a terminal is redrawn in place; anything else gets a line per change.
  const tty = io.stdout.isTTY === true && !options.json;
  // The live region's libraries load only on a terminal. It measures lines in
  // cells and clips to the terminal's size, so a redraw leaves no stale rows.
  const live = tty
    ? (await import('../output/live-region.js')).createLiveRegion(io.stdout, {
        columns: Number(io.env.COLUMNS) || undefined,
        rows: Number(io.env.LINES) || undefined,
      })
    : undefined;
  let last = '';
  for (;;) {
    if (live) {
      live.render(renderStatus(report, opened, shown, style).replace(/\n$/, '').split('\n'));
    } else {
      // A line only when something besides the clock changed.
      const key = options.json ? withoutClock(report) : watchKey(report);
      if (key !== last) {
        io.stdout.write(
          options.json
            ? `${JSON.stringify(report)}\n`
            : `${new Date().toISOString()} ${watchLine(report)}\n`,
        );
      }
      last = key;
    }
    if (!report.running || io.signal.aborted) break;
    await sleep(WATCH_POLL_MS, io.signal);
    report = withNext(await read(), shown);
  }
  if (!tty && !options.json) io.stdout.write(renderStatus(report, opened, shown, style));
  return io.signal.aborted ? EXIT.interrupted : EXIT.ok;
}

/**
 * The report with `next`, the command that goes on, when the sprint waits for one: a
 * paused sprint (whatever paused it: a person, a task's pause-after, a limit) is resumed,
 * and so is a blocked one (its blocked task runs again), as the run's summary says.
 */
function withNext<R extends SprintStatusBrief>(report: R, shown: string): R & { next?: string } {
  // A held sprint (its log lost) is not resumed as it is: its status line says how to go on.
  return (report.status === 'paused' || report.status === 'blocked') &&
    !report.running &&
    !report.logLost
    ? { ...report, next: `sprint resume ${shown}` }
    : report;
}

/** The whole report but the running tasks' elapsed time, for `--watch --json`. */
function withoutClock(report: SprintStatusBrief): string {
  return JSON.stringify({ ...report, current: report.current.map(({ elapsedMs: _, ...c }) => c) });
}

/** What a `--watch` line reports a change of: status, running tasks, counts, spend; never the clock. */
function watchKey(report: SprintStatusBrief): string {
  return JSON.stringify({
    status: report.status,
    running: report.running,
    current: report.current.map((c) => [c.id, c.attempt, c.agent]),
    counts: report.counts,
    iterations: report.iterations,
    costUsd: report.costUsd,
    blocked: report.blocked,
    humanNeeded: report.humanNeeded,
  });
}

function watchLine(raw: SprintStatusBrief): string {
  const report = escapeControlsDeep(raw);
  const current = report.current
    .map((c) => `${c.id} (${Math.round(c.elapsedMs / 1000)}s)`)
    .join(', ');
  return `${report.status} ${report.counts.done}/${report.counts.total} done${current ? `, running ${current}` : ''}, ${plural(report.iterations, 'iteration')}, ${spend(report.costUsd, report.estimatedCostUsd, report.fallbackPricing)}`;
}

/**
 * The human form of `sprint status`. What the report holds came from the sprint's files and
 * its agents: control characters in it are shown, never sent to the terminal.
 */
function renderStatus(
  raw: SprintStatusBrief & { next?: string },
  opened: OpenedSprint,
  rawShown: string,
  style: Style,
): string {
  const report = escapeControlsDeep(raw);
  const shown = escapeControls(rawShown);
  const lines: string[] = [];
  const label = (name: string) => style.bold(`${name}:`.padEnd(11));
  lines.push(`${label('Sprint')} ${report.name} (${report.id})`);
  lines.push(`${label('Location')} ${shown} (${opened.format})`);
  lines.push(
    `${label('Status')} ${statusColor(style, report.status)}${
      report.running && report.runner
        ? ` - running in pid ${report.runner.pid} on ${report.runner.host} since ${report.runner.startedAt}`
        : report.logLost
          ? ` - ${style.red('held')}: the runner's log is lost (see Tampering) and nothing runs from what is left; once PROGRESS.yaml is right: sprint resume ${shown} --trust-files`
          : report.interrupted
            ? ` - ${style.yellow('interrupted')}: no runner is alive; continue with sprint resume ${shown}`
            : ''
    }`,
  );
  lines.push(
    `${label('Progress')} ${progressBar(report.counts.done, report.counts.total)} done${
      report.counts.blocked ? `, ${report.counts.blocked} blocked` : ''
    }${report.counts.failed ? `, ${report.counts.failed} failed` : ''}${
      // Finished without being done: a sprint that completed shows where the rest went.
      report.counts.skipped ? `, ${report.counts.skipped} skipped` : ''
    }${report.counts.cancelled ? `, ${report.counts.cancelled} cancelled` : ''}`,
  );
  for (const c of report.current) {
    lines.push(
      `${label('Current')} ${style.bold(c.id)} ${c.title ? `"${c.title}" ` : ''}running for ${clock(c.elapsedMs)} (agent ${c.agent}, attempt ${c.attempt})`,
    );
  }
  for (const b of report.blocked) {
    lines.push(`${label('Blocked')} ${style.red(b.taskId)}: ${b.reason}`);
  }
  for (const w of report.worktrees ?? []) {
    lines.push(
      `${label('Worktree')} ${style.bold(w.taskId)} ${w.stage}${w.branch ? ` on ${w.branch}` : ''}${w.path ? ` at ${w.path}` : ''}${w.detail ? ` - ${w.detail}` : ''}`,
    );
  }
  if (report.humanNeeded) {
    const h = report.humanNeeded;
    lines.push(`${label('Question')} ${style.yellow(h.reason)} (task ${h.taskId})`);
    // The question's details are multi-line text: each line indented under the question.
    const details = raw.humanNeeded?.details;
    if (details) lines.push(...indentedLines(details, ' '.repeat(12)));
    h.options.forEach((o, i) => {
      lines.push(`${' '.repeat(12)}${i + 1}. ${o}`);
    });
    lines.push(`${' '.repeat(12)}Answer: sprint resume ${shown} --answer "..."`);
  }
  const t = report.tokens;
  lines.push(
    `${label('Spent')} ${plural(report.iterations, 'iteration')}, ${spend(report.costUsd, report.estimatedCostUsd, report.fallbackPricing)}, ${count(t.input + t.output + t.cacheRead + t.cacheCreation)} tokens (${count(t.input)} in, ${count(t.output)} out)`,
  );
  if (report.stopReason && !report.running) {
    lines.push(`${label('Stopped')} ${describeStopReason(report.stopReason)}`);
  }
  if (report.next) lines.push(`${label('Continue')} ${report.next}`);
  for (const t of report.tampering ?? []) {
    lines.push(
      `${label('Tampering')} ${style.red(t.file)} written by someone else at ${t.at}${
        t.taskIds.length ? ` while ${t.taskIds.join(', ')} ran` : ''
      }: ${t.detail}${t.quarantined ? ` (kept in ${t.quarantined})` : ''}`,
    );
  }
  if (report.deferredItems.length) {
    lines.push(`${label('Deferred')} ${report.deferredItems.length} item(s)`);
    for (const d of report.deferredItems) lines.push(`  - ${d}`);
  }
  return `${lines.join('\n')}\n`;
}
