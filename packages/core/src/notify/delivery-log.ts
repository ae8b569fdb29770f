import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { APPEND_NOFOLLOW } from '../stores/safe-fs.js';
import type { DeliveryReport } from './run-notifier.js';

/** The file beside a sprint's event log that records every notification's outcome. */
const DELIVERY_LOG = 'notify.log';

/**
 * Appends one JSON line per delivery outcome to `<runtimeDir>/notify.log`,
 * never through a symbolic link, so that a notification that was given up on
 * is on record even when nobody listened. Never throws.
 */
export async function appendDeliveryLog(
  runtimeDir: string,
  report: DeliveryReport & { at: string },
): Promise<void> {
  try {
    const handle = await open(join(runtimeDir, DELIVERY_LOG), APPEND_NOFOLLOW, 0o600);
    try {
      await handle.appendFile(`${JSON.stringify(report)}\n`);
    } finally {
      await handle.close();
    }
  } catch {
    // The record is a courtesy; a delivery's outcome never fails the run.
  }
}
