import type { RunEvent } from '@sprint/core';
import type { CommandContext } from '../cli.js';
import { EXIT } from '../exit-codes.js';
import { colorEnabled } from '../io.js';
import { eventLine } from '../output/event-line.js';
import { createStyle } from '../output/style.js';
import { sleep } from '../sleep.js';
import { openSprintArg } from '../sprint-arg.js';

const FOLLOW_POLL_MS = 200;

/** `sprint logs`: the event log, agent activity included; `--follow` until the run ends. */
export async function logsCommand(
  ctx: CommandContext,
  sprintArg: string | undefined,
  options: { follow?: boolean; json?: boolean },
): Promise<number> {
  const { io } = ctx;
  const { store, sprintId } = await openSprintArg(ctx, sprintArg, 'logs');
  const style = createStyle(!options.json && colorEnabled(io.stdout, io.env));
  const print = (event: RunEvent) =>
    io.stdout.write(`${options.json ? JSON.stringify(event) : eventLine(event, style)}\n`);

  let afterSeq = 0;
  const drain = async () => {
    for (;;) {
      const events = await store.readEvents(sprintId, { afterSeq, limit: 1000 });
      for (const event of events) print(event);
      // Ctrl-C, or the reader went away (`sprint logs | head -1`): stop reading.
      if (events.length === 0 || io.signal.aborted) return;
      afterSeq = events.at(-1)!.seq;
    }
  };
  await drain();
  if (!options.follow) return EXIT.ok;

  let lock = await store.inspectLock(sprintId);
  if (!lock?.alive) {
    io.stderr.write('No run is in progress: nothing more to follow.\n');
    return EXIT.ok;
  }
  // Until the runner lets go of the sprint (or Ctrl-C).
  while (lock?.alive && !io.signal.aborted) {
    await sleep(FOLLOW_POLL_MS, io.signal);
    await drain();
    lock = await store.inspectLock(sprintId);
  }
  await drain();
  return io.signal.aborted ? EXIT.interrupted : EXIT.ok;
}
