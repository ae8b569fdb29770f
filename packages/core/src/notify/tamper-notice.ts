import { createHash } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunEvent } from '../model/events.js';
import { refuseLink } from '../stores/safe-fs.js';
import type { SprintSnapshot } from '../stores/sprint-store.js';
import type { NotifyOptions } from './run-notifier.js';

/** Beside the runner's files: one empty marker per tampering already notified. */
const TAMPER_NOTIFIED_DIR = 'tamper-notified';

/**
 * Sends the `tamper` notification (config.notify, and `options.targets`) for
 * tampering a reader found outside a run (`sprint status`, `resume`, the
 * server opening the sprint): once per finding, not on every read, also with
 * several readers at once. Each finding (file and detail) gets a marker
 * created with O_EXCL in `<runtimeDir>/tamper-notified/`; only the reader
 * that creates it notifies. Without a writable runtime directory nothing is
 * sent (it could not be sent only once). Returns how many findings were
 * notified. Never throws.
 */
export async function notifyTamperingOnce(
  snapshot: SprintSnapshot,
  options: NotifyOptions = {},
): Promise<number> {
  try {
    const found = snapshot.state.tampering ?? [];
    const runtimeDir = snapshot.runtimeDir;
    if (!found.length || !runtimeDir) return 0;
    // Loaded only when there is something to tell: `sprint status` reads without them.
    const [{ eventsOf }, { RunNotifier }] = await Promise.all([
      import('./notify-target.js'),
      import('./run-notifier.js'),
    ]);
    const targets = [...(snapshot.definition.config.notify ?? []), ...(options.targets ?? [])];
    if (!targets.some((t) => eventsOf(t).includes('tamper'))) return 0;
    const dir = join(runtimeDir, TAMPER_NOTIFIED_DIR);
    await mkdir(dir, { recursive: true });
    // A link planted in its place could lead anywhere: then nothing is written or sent.
    if (!(await refuseLink(dir))?.isDirectory()) return 0;
    const fresh: typeof found = [];
    for (const t of found) {
      const key = createHash('sha256').update(`${t.file}\0${t.detail}`).digest('hex').slice(0, 32);
      // O_EXCL also refuses a symbolic link planted in its place.
      const made = await open(join(dir, key), 'wx', 0o644).then(
        (fh) => fh.close().then(() => true),
        () => false,
      );
      if (made) fresh.push(t);
    }
    if (!fresh.length) return 0;
    const notifier = RunNotifier.forRun(structuredClone(snapshot), options);
    if (!notifier) return 0;
    let seq = snapshot.state.lastSeq ?? 0;
    for (const t of fresh) {
      notifier.onEvent({
        type: 'tampering',
        seq: ++seq,
        at: t.at,
        sprintId: snapshot.definition.id,
        file: t.file,
        detail: t.detail,
        taskIds: t.taskIds ?? [],
      } as RunEvent);
    }
    await notifier.close();
    return fresh.length;
  } catch {
    return 0;
  }
}
