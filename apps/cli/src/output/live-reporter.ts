import { escapeControls, type Progress, type TaskCounts, taskLabel } from '@sprint/core';
import type { OutStream } from '../io.js';
import { describeActivity, describeEvent } from './event-line.js';
import { createLiveRegion, type SizeFallback } from './live-region.js';
import type { RunReporter } from './run-reporter.js';
import type { Style } from './style.js';
import { clock, count, progressBar, usd } from './units.js';

interface Running {
  taskId: string;
  label: string;
  agent: string;
  attempt: number;
  startedAt: number;
  activity: string;
  tokens: number;
  costUsd: number;
}

const TOOL_KINDS = new Set(['tool-use', 'tool-result', 'retry', 'text', 'log']);

/**
 * One line, whitespace folded: a title or an agent's output may hold newlines; any other
 * control character in it is shown, never sent to the terminal.
 */
const oneLine = (text: string) =>
  escapeControls(text, { newlines: true }).replace(/\s+/g, ' ').trim();

/**
 * A terminal: finished tasks scroll by as lines, and a live region at the
 * bottom shows each running task, how long it has run, the agent's current
 * tool call, tokens and cost so far, and a progress bar. Lines are measured
 * in terminal cells and the region is clipped to the terminal's height, so a
 * redraw never leaves a stale copy behind.
 */
export function liveReporter(
  out: OutStream & { rows?: number },
  style: Style,
  options: {
    sprintName: string;
    counts: TaskCounts;
    costUsd: number;
    tokens: number;
    /** Used when the stream does not know its size. */
    size?: SizeFallback;
  },
): RunReporter {
  const live = createLiveRegion(out, options.size);
  const running = new Map<string, Running>();
  let counts = options.counts;
  let costUsd = options.costUsd;
  let doneTokens = options.tokens;
  let iterations = 0;
  let closed = false;
  const started = Date.now();

  const lines = (): string[] => {
    const liveTokens = [...running.values()].reduce((sum, r) => sum + r.tokens, 0);
    const liveCost = [...running.values()].reduce((sum, r) => sum + r.costUsd, 0);
    const rows: string[] = [];
    for (const r of running.values()) {
      rows.push(
        `${style.cyan('▶')} ${style.bold(oneLine(r.taskId))} ${clock(Date.now() - r.startedAt)}  ${oneLine(r.label)}`,
      );
      const activity = r.activity || `${r.agent} working (attempt ${r.attempt})`;
      rows.push(`  ${style.dim('↳')} ${oneLine(activity)}`);
    }
    rows.push(
      `${progressBar(counts.done, counts.total)}  ${oneLine(options.sprintName)}  ${clock(Date.now() - started)}  iter ${iterations}  ${count(doneTokens + liveTokens)} tokens  ${usd(costUsd + liveCost)}`,
    );
    return rows;
  };

  const draw = () => {
    if (!closed) live.render(lines());
  };
  /** Prints a line above the live region. */
  const println = (line: string) => {
    if (!closed) live.persist(line);
  };

  const timer = setInterval(draw, 250);
  timer.unref();
  draw();

  return {
    onEvent(event) {
      switch (event.type) {
        case 'agent-activity': {
          const r = running.get(event.taskId);
          if (!r) return;
          const a = event.activity;
          if (a.kind === 'usage') {
            const t = a.tokens;
            r.tokens = t.input + t.output + t.cacheRead + t.cacheCreation;
            if (a.costUsd !== undefined) r.costUsd = a.costUsd;
          } else if (TOOL_KINDS.has(a.kind)) {
            r.activity = describeActivity(a, live.width);
          }
          return;
        }
        case 'task-finished': {
          const r = running.get(event.taskId);
          running.delete(event.taskId);
          const tokens = event.result?.tokens;
          if (tokens) {
            doneTokens += tokens.input + tokens.output + tokens.cacheRead + tokens.cacheCreation;
          }
          const took = r ? ` in ${clock(Date.now() - r.startedAt)}` : '';
          const mark =
            event.to === 'done'
              ? style.green('✓')
              : event.to === 'pending'
                ? style.yellow('↺')
                : style.red('✗');
          println(
            `${mark} ${describeEvent(event, style)}${took}${r && event.to === 'done' ? `  ${style.dim(oneLine(r.label))}` : ''}`,
          );
          return;
        }
        case 'task-started':
        case 'agent-pid':
        case 'tasks-added':
          return;
        default:
          println(`${style.dim('·')} ${describeEvent(event, style)}`);
      }
    },
    onProgress(progress: Progress) {
      counts = progress.counts;
      costUsd = progress.costUsd;
      iterations = progress.iterations;
      if (progress.kind === 'task-started') {
        running.set(progress.task.id, {
          taskId: progress.task.id,
          label: taskLabel(progress.task),
          agent: progress.agent,
          attempt: progress.attempt,
          startedAt: Date.now(),
          activity: '',
          tokens: 0,
          costUsd: 0,
        });
        println(
          `${style.cyan('▶')} ${style.bold(oneLine(progress.task.id))} started (attempt ${progress.attempt}, agent ${oneLine(progress.agent)})`,
        );
      } else {
        draw();
      }
    },
    notice(line) {
      println(line);
    },
    close() {
      clearInterval(timer);
      if (!closed) live.clear();
      closed = true;
    },
  };
}
