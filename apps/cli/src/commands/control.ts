import { AgentRegistry, type ControlOutcome, SprintRunner } from '@sprint/core';
import type { CommandContext } from '../cli.js';
import { EXIT } from '../exit-codes.js';
import { whoAmI } from '../requester.js';
import { sleep } from '../sleep.js';
import { displayPath, openSprintArg } from '../sprint-arg.js';
import { UsageError } from '../usage-error.js';

type Action = 'pause' | 'stop' | 'cancel';

const PAST: Record<Action, string> = { pause: 'paused', stop: 'stopped', cancel: 'cancelled' };

/** How long to wait for a runner in another process to act on stop or cancel. */
const REACT_TIMEOUT_MS = 5_000;

/**
 * `sprint pause|stop|cancel`: asks the sprint's runner, in whatever process
 * it lives, through the store; applied directly when nobody runs it.
 */
export async function controlCommand(
  ctx: CommandContext,
  sprintArg: string | undefined,
  action: Action,
  options: { reason?: string },
): Promise<number> {
  const { io } = ctx;
  const reason = options.reason?.trim() ?? '';
  if (action === 'cancel' && !reason) {
    throw new UsageError(
      'A reason is required: say why the sprint is cancelled with --reason "...".',
      'cancel',
    );
  }
  const opened = await openSprintArg(ctx, sprintArg, action);
  const { store, sprintId } = opened;
  const shown = displayPath(io.cwd, opened.path);
  const runner = new SprintRunner({ store, agents: new AgentRegistry() });
  const before = await store.inspectLock(sprintId);
  const by = { requestedBy: whoAmI(io.env) };
  let outcome: ControlOutcome;
  if (action === 'cancel') outcome = await runner.cancel(sprintId, reason, by);
  else outcome = await runner[action](sprintId, by);

  if (outcome.outcome === 'not-running') {
    io.stdout.write(`Sprint ${sprintId} is ${outcome.status}: nothing to ${action}.\n`);
    return EXIT.ok;
  }
  if (outcome.outcome === 'applied') {
    io.stdout.write(`Sprint ${sprintId} ${PAST[action]} (no runner was active).\n`);
    return EXIT.ok;
  }

  const who = before ? `the runner (pid ${before.pid} on ${before.host})` : 'the runner';
  if (action === 'pause') {
    io.stdout.write(
      `Pause requested: ${who} pauses when the running task ends.\nFollow it: sprint status ${shown} --watch\n`,
    );
    return EXIT.ok;
  }
  // Stop and cancel end the running agent at once: wait to report what happened.
  const deadline = Date.now() + REACT_TIMEOUT_MS;
  while (Date.now() < deadline && !io.signal.aborted) {
    const lock = await store.inspectLock(sprintId);
    if (!lock?.alive || (before && lock.runId !== before.runId)) {
      const { state } = await store.load(sprintId);
      io.stdout.write(
        `Sprint ${sprintId} ${PAST[action]}: now ${state.status}.${action === 'stop' ? ` Continue: sprint resume ${shown}` : ''}\n`,
      );
      return EXIT.ok;
    }
    await sleep(100, io.signal);
  }
  io.stdout.write(
    `${action === 'stop' ? 'Stop' : 'Cancel'} requested: ${who} has not finished yet. Check: sprint status ${shown}\n`,
  );
  return EXIT.ok;
}
