import { type Progress, type RunEvent, type TaskCounts, taskLabel } from '@sprint/core';
import type { OutStream } from '../io.js';
import { describeActivity, describeEvent, eventLine } from './event-line.js';
import type { Style } from './style.js';
import { clock, count, progressBar, truncate, usd } from './units.js';

/** Shows a run as it happens. */
export interface RunReporter {
  onEvent(event: RunEvent): void;
  onProgress(progress: Progress): void;
  /** Removes any live region; the reporter prints nothing afterwards. */
  close(): void;
}

/** Not a terminal: one timestamped line per event, nothing redrawn. */
export function plainReporter(out: OutStream, style: Style): RunReporter {
  let closed = false;
  return {
    onEvent(event) {
      if (!closed) out.write(`${eventLine(event, style)}\n`);
    },
    onProgress() {},
    close() {
      closed = true;
    },
  };
}

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
 * A terminal: finished tasks scroll by as lines, and a live region at the
 * bottom shows each running task, how long it has run, the agent's current
 * tool call, tokens and cost so far, and a progress bar.
 */
export function liveReporter(
  out: OutStream,
  style: Style,
  options: {
    sprintName: string;
    counts: TaskCounts;
    costUsd: number;
    tokens: number;
    /** Used when the stream does not know its width. */
    columns?: number;
  },
): RunReporter {
  const running = new Map<string, Running>();
  let counts = options.counts;
  let costUsd = options.costUsd;
  let doneTokens = options.tokens;
  let iterations = 0;
  let drawn = 0;
  let closed = false;
  const started = Date.now();

  const width = () => Math.max(40, (out.columns || options.columns || 80) - 1);

  const region = (): string[] => {
    const w = width();
    const liveTokens = [...running.values()].reduce((sum, r) => sum + r.tokens, 0);
    const liveCost = [...running.values()].reduce((sum, r) => sum + r.costUsd, 0);
    const lines: string[] = [];
    for (const r of running.values()) {
      const head = `▶ ${r.taskId} ${clock(Date.now() - r.startedAt)}  `;
      lines.push(
        `${style.cyan('▶')} ${style.bold(r.taskId)} ${clock(Date.now() - r.startedAt)}  ${truncate(r.label, w - head.length)}`,
      );
      const activity = r.activity || `${r.agent} working (attempt ${r.attempt})`;
      lines.push(`  ${style.dim('↳')} ${truncate(activity, w - 4)}`);
    }
    lines.push(
      truncate(
        `${progressBar(counts.done, counts.total)}  ${options.sprintName}  ${clock(Date.now() - started)}  iter ${iterations}  ${count(doneTokens + liveTokens)} tokens  ${usd(costUsd + liveCost)}`,
        w,
      ),
    );
    return lines;
  };

  const erase = () => {
    if (drawn > 0) out.write(`\x1b[${drawn}F\x1b[J`);
    drawn = 0;
  };
  const draw = () => {
    if (closed) return;
    erase();
    const lines = region();
    out.write(`${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  /** Prints a line above the live region. */
  const println = (line: string) => {
    if (closed) return;
    erase();
    out.write(`${line}\n`);
    draw();
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
            r.activity = describeActivity(a, width());
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
            `${mark} ${describeEvent(event, style)}${took}${r && event.to === 'done' ? `  ${style.dim(r.label)}` : ''}`,
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
    onProgress(progress) {
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
          `${style.cyan('▶')} ${style.bold(progress.task.id)} started (attempt ${progress.attempt}, agent ${progress.agent})`,
        );
      } else {
        draw();
      }
    },
    close() {
      clearInterval(timer);
      erase();
      closed = true;
    },
  };
}
