import { randomUUID } from 'node:crypto';
import type { RunEvent } from '../model/events.js';
import { applyEventInPlace, countTasks } from '../model/fold.js';
import type { SprintState } from '../model/state.js';
import type { RunOptions } from '../runner/run-options.js';
import type { SprintSnapshot } from '../stores/sprint-store.js';
import { deliverCommand } from './command-delivery.js';
import { appendDeliveryLog } from './delivery-log.js';
import { type DeliveryOutcome, deliverHttp } from './http-delivery.js';
import { buildNotification, type Notification, triggerFor } from './notification.js';
import { eventsOf, type NotifyEvent, type NotifyTarget } from './notify-target.js';
import { DEFAULT_DELIVERY_POLICY, type DeliveryPolicy } from './retry-policy.js';
import { SIGNATURE_HEADER, signBody } from './signature.js';
import { slackMessage } from './slack-message.js';

/** Notification settings of a runner (`SprintRunnerOptions.notify`), beside each sprint's `config.notify`. */
export interface NotifyOptions {
  /** Targets every sprint of this runner notifies, besides its own (e.g. the server's configuration). */
  targets?: NotifyTarget[];
  /** The server's public URL: payloads then link to the dashboard and the answer route (default `SPRINT_PUBLIC_URL`). */
  publicUrl?: string;
  /** Where `secret-env` names are looked up (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Retry and time limits of deliveries (see {@link DEFAULT_DELIVERY_POLICY}). */
  policy?: Partial<DeliveryPolicy>;
  /**
   * How long the end of a run waits for notifications still being delivered
   * (default 10 s), so that a short-lived process (`sprint run`) sends its
   * last ones before it exits. What is still going then continues in the
   * background. It never changes the run's result. A server uses 0.
   */
  finalWaitMs?: number;
  /** Each delivery's outcome, delivered or given up (also appended to `notify.log` beside a file sprint's event log). */
  onDelivery?: (report: DeliveryReport) => void;
}

/** How one notification to one target went. */
export interface DeliveryReport {
  /** The target without secrets: `webhook https://host`, `slack`, `command`. */
  target: string;
  event: NotifyEvent;
  delivered: boolean;
  attempts: number;
  error?: string;
}

const VERSION_AGENT = 'sprint-notify/1';

/**
 * Sends a run's notifications. It follows the run's events (its
 * {@link RunNotifier.observe} wraps `onEvent`), folds them into its own copy
 * of the sprint's state for the counts, and delivers to every target that
 * wants the event: one queue per target, in order, in the background, so a
 * slow or failing receiver never slows or fails the run.
 */
export class RunNotifier {
  readonly #snapshot: SprintSnapshot;
  readonly #state: SprintState;
  readonly #targets: NotifyTarget[];
  readonly #options: NotifyOptions;
  readonly #policy: DeliveryPolicy;
  readonly #abort = new AbortController();
  readonly #queues = new Map<NotifyTarget, Promise<void>>();
  readonly #publicUrl: string | undefined;

  /**
   * A notifier for one run of the sprint in `snapshot`, or undefined when
   * neither the sprint nor `options` name a target. It takes over
   * `snapshot.state` (folding the run's events into it).
   */
  static forRun(snapshot: SprintSnapshot, options: NotifyOptions = {}): RunNotifier | undefined {
    const targets = [...(snapshot.definition.config.notify ?? []), ...(options.targets ?? [])];
    return targets.length ? new RunNotifier(snapshot, targets, options) : undefined;
  }

  private constructor(snapshot: SprintSnapshot, targets: NotifyTarget[], options: NotifyOptions) {
    this.#snapshot = snapshot;
    this.#state = snapshot.state;
    this.#targets = targets;
    this.#options = options;
    this.#policy = { ...DEFAULT_DELIVERY_POLICY, ...options.policy };
    // A CLI run learns the server's address from the environment, as the server does.
    this.#publicUrl = options.publicUrl ?? httpUrl((options.env ?? process.env).SPRINT_PUBLIC_URL);
  }

  /** `options` with `onEvent` also feeding this notifier. */
  observe(options: RunOptions): RunOptions {
    const inner = options.onEvent;
    return {
      ...options,
      onEvent: (event) => {
        this.onEvent(event);
        inner?.(event);
      },
    };
  }

  /** Folds one stored event and starts the deliveries it calls for. Never throws. */
  onEvent(event: RunEvent): void {
    try {
      applyEventInPlace(this.#state, event);
      const trigger = triggerFor(event);
      if (!trigger) return;
      const wanting = this.#targets.filter((t) => eventsOf(t).includes(trigger.event));
      if (!wanting.length) return;
      const notification = buildNotification(trigger, {
        sprintId: this.#snapshot.definition.id,
        sprintName: this.#snapshot.definition.name,
        status: this.#state.status,
        counts: countTasks(this.#state),
        costUsd: this.#state.costUsd,
        at: event.at,
        publicUrl: this.#publicUrl,
      });
      for (const target of wanting) this.#enqueue(target, notification);
    } catch {
      // Notifications must never break the run.
    }
  }

  /**
   * Waits for the deliveries in flight, at most `finalWaitMs`. What is still
   * going then goes on in the background, within its own retry limits (a
   * process that exits ends it). Never throws.
   */
  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#options.finalWaitMs ?? 10_000);
    });
    try {
      await Promise.race([Promise.allSettled(this.#queues.values()), limit]);
    } finally {
      clearTimeout(timer);
    }
  }

  #enqueue(target: NotifyTarget, notification: Notification): void {
    const previous = this.#queues.get(target) ?? Promise.resolve();
    const next = previous.then(async () => {
      const outcome = await this.#deliver(target, notification).catch(
        (error: unknown): DeliveryOutcome => ({
          delivered: false,
          attempts: 0,
          error: error instanceof Error ? error.message : String(error),
        }),
      );
      const report: DeliveryReport = {
        target: describeTarget(target),
        event: notification.event,
        ...outcome,
      };
      if (this.#snapshot.runtimeDir) {
        await appendDeliveryLog(this.#snapshot.runtimeDir, {
          at: new Date().toISOString(),
          ...report,
        });
      }
      try {
        this.#options.onDelivery?.(report);
      } catch {
        // A listener's failure is not the delivery's.
      }
    });
    this.#queues.set(target, next);
  }

  #deliver(target: NotifyTarget, n: Notification): Promise<DeliveryOutcome> {
    const signal = this.#abort.signal;
    if (signal.aborted) return Promise.resolve({ delivered: false, attempts: 0, error: 'closed' });
    const body = JSON.stringify(n);
    if (target.kind === 'command') {
      return deliverCommand(target.command, `${body}\n`, {
        cwd: this.#snapshot.projectDir,
        env: { SPRINT_EVENT: n.event, SPRINT_ID: n.sprint.id },
        timeoutMs: this.#policy.attemptTimeoutMs,
        signal,
      });
    }
    const delivery = randomUUID();
    const common = {
      'content-type': 'application/json',
      'user-agent': VERSION_AGENT,
      'x-sprint-event': n.event,
      'x-sprint-delivery': delivery,
    };
    if (target.kind === 'slack') {
      const text = JSON.stringify(slackMessage(n));
      return deliverHttp(
        { url: target.url, body: text, headers: () => common },
        this.#policy,
        signal,
      );
    }
    const env = this.#options.env ?? process.env;
    const secret = target.secretEnv !== undefined ? env[target.secretEnv] : target.secret;
    if (target.secretEnv !== undefined && !secret) {
      return Promise.resolve({
        delivered: false,
        attempts: 0,
        error: `secret-env ${target.secretEnv} is not set: not sending unsigned`,
      });
    }
    return deliverHttp(
      {
        url: target.url,
        body,
        headers: (t) =>
          secret ? { ...common, [SIGNATURE_HEADER]: signBody(body, secret, t) } : common,
      },
      this.#policy,
      signal,
    );
  }
}

/** A target named without its secrets (Slack's URL is itself one). */
function describeTarget(target: NotifyTarget): string {
  if (target.kind === 'command') return 'command';
  if (target.kind === 'slack') return 'slack';
  try {
    return `webhook ${new URL(target.url).origin}`;
  } catch {
    return 'webhook';
  }
}

function httpUrl(value: string | undefined): string | undefined {
  return value && /^https?:\/\/\S+$/.test(value) ? value : undefined;
}
