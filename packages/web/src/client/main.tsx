import { render } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { call, RequestError, session } from './api.js';
import { dependencyRows } from './dependency-rows.js';
import { type Notice, noticeOf } from './notices.js';
import { followEvents, type LiveState } from './sse.js';
import { statusNote } from './status-note.js';

// Server JSON as the page reads it; the server validates every body with zod.
// biome-ignore lint/suspicious/noExplicitAny: read-only display of validated JSON
type Json = Record<string, any>;
type RunEvent = { seq: number; type: string; at: string; taskId?: string } & Json;

const routeOf = () => {
  const m = /^#\/sprints\/([^/]+)$/.exec(location.hash);
  return m ? { page: 'sprint' as const, id: decodeURIComponent(m[1]!) } : { page: 'list' as const };
};

const money = (usd: number | undefined) => `$${(usd ?? 0).toFixed(usd && usd < 1 ? 4 : 2)}`;
/**
 * A cost, marked where part or all of it is an estimate: priced from tokens
 * with the price table, for agents that report no cost (as `sprint status` says).
 */
function Spend({ usd, estimated }: { usd: number | undefined; estimated?: number }) {
  if (!estimated || estimated <= 0) return <>{money(usd)}</>;
  return (
    <>
      {money(usd)}{' '}
      <small
        class="muted"
        title="priced from token counts with the price table: the agent reported no cost"
      >
        {estimated >= (usd ?? 0) ? 'estimated' : `${money(estimated)} of it estimated`}
      </small>
    </>
  );
}
const tokensOf = (t: Json | undefined) =>
  t
    ? (
        (t.input ?? 0) +
        (t.output ?? 0) +
        (t.cacheRead ?? 0) +
        (t.cacheCreation ?? 0)
      ).toLocaleString()
    : '0';
function elapsed(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '-';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${s % 60}s` : `${Math.floor(m / 60)}h${m % 60}m`;
}
const since = (from?: string, to?: string) =>
  from ? elapsed((to ? Date.parse(to) : Date.now()) - Date.parse(from)) : '-';

function App() {
  const [token, setToken] = useState(session.get());
  const [route, setRoute] = useState(routeOf());
  const [live, setLive] = useState<LiveState | 'idle'>('idle');
  const [notify, setNotify] = useState(
    typeof Notification !== 'undefined' &&
      Notification.permission === 'granted' &&
      sessionStorage.getItem('sprint.notify') === 'on',
  );
  useEffect(() => {
    const on = () => setRoute(routeOf());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  const signOut = useCallback(() => {
    session.clear();
    setToken(null);
    setLive('idle');
  }, []);
  useEffect(() => {
    if (live === 'signed-out') signOut();
  }, [live, signOut]);
  if (!token)
    return (
      <Login
        onSignedIn={(t) => {
          session.set(t);
          setToken(t);
        }}
      />
    );
  const toggleNotify = async () => {
    if (notify) {
      sessionStorage.removeItem('sprint.notify');
      setNotify(false);
      return;
    }
    if (typeof Notification === 'undefined') return;
    if ((await Notification.requestPermission()) === 'granted') {
      sessionStorage.setItem('sprint.notify', 'on');
      setNotify(true);
    }
  };
  const notice = (n: Notice) => {
    if (notify && typeof Notification !== 'undefined' && Notification.permission === 'granted') {
      new Notification(n.title, { body: n.body });
    }
  };
  return (
    <>
      <header class="top">
        <a href="#/" class="brand">
          sprint
        </a>
        <span role="status" class={`live live-${live}`}>
          {live === 'idle' ? '' : live}
        </span>
        <span class="spacer" />
        <button type="button" aria-pressed={notify} onClick={toggleNotify}>
          Notifications {notify ? 'on' : 'off'}
        </button>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main>
        {route.page === 'list' ? (
          <SprintsPage token={token} onLive={setLive} onAuthLost={signOut} />
        ) : (
          <SprintPage
            key={route.id}
            id={route.id}
            token={token}
            onLive={setLive}
            onNotice={notice}
            onAuthLost={signOut}
          />
        )}
      </main>
    </>
  );
}

function Login({ onSignedIn }: { onSignedIn(token: string): void }) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const token = String(new FormData(e.target as HTMLFormElement).get('token') ?? '').trim();
    if (!token)
      return setError('Enter the token the server printed at start (or its SPRINT_API_TOKEN).');
    setBusy(true);
    try {
      await call('GET', '/sprints', undefined, token);
      onSignedIn(token);
    } catch (err) {
      setError(
        err instanceof RequestError && err.status === 401
          ? "That token is not the server's token."
          : String((err as Error).message),
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="login">
      <h1>sprint</h1>
      <form onSubmit={submit}>
        <label for="token">Token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}

function useReload<T>(load: () => Promise<T>, onAuthLost: () => void) {
  const [value, setValue] = useState<T>();
  const [error, setError] = useState('');
  const pending = useRef<Promise<void> | null>(null);
  const again = useRef(false);
  const reload = useCallback(() => {
    // One request at a time; events arriving meanwhile ask for one more, so a burst costs two loads.
    if (pending.current) {
      again.current = true;
      return;
    }
    pending.current = load()
      .then((v) => {
        setValue(v);
        setError('');
      })
      .catch((err) => {
        if (err instanceof RequestError && err.status === 401) onAuthLost();
        else setError((err as Error).message);
      })
      .finally(() => {
        pending.current = null;
        if (again.current) {
          again.current = false;
          reload();
        }
      });
  }, [load, onAuthLost]);
  useEffect(reload, [reload]);
  return { value, error, reload };
}

function SprintsPage({
  token,
  onLive,
  onAuthLost,
}: {
  token: string;
  onLive(s: LiveState | 'idle'): void;
  onAuthLost(): void;
}) {
  const load = useCallback(() => call<{ sprints: Json[] }>('GET', '/sprints'), []);
  const { value, error, reload } = useReload(load, onAuthLost);
  const running = (value?.sprints ?? [])
    .filter((s) => s.status === 'in-progress')
    .map((s) => s.id as string)
    .slice(0, 3)
    .join('\n');
  useEffect(() => {
    // Browsers hold ~6 connections per host: follow at most three running sprints here.
    if (!running) return onLive('idle');
    const ctl = new AbortController();
    for (const id of running.split('\n')) {
      void followEvents(`/sprints/${encodeURIComponent(id)}/events`, {
        token,
        liveOnly: true,
        signal: ctl.signal,
        onState: onLive,
        onEvent: reload,
      });
    }
    return () => ctl.abort();
  }, [running, token]);
  return (
    <section>
      <h1>Sprints</h1>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {!value ? (
        <p>Loading…</p>
      ) : value.sprints.length === 0 ? (
        <p>No sprints under the server's root yet.</p>
      ) : (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Status</th>
                <th>Progress</th>
                <th>Cost</th>
                <th>Tokens</th>
                <th>Elapsed</th>
                <th>Current</th>
              </tr>
            </thead>
            <tbody>
              {value.sprints
                .filter((s) => !s.invalid)
                .map((s) => (
                  <tr key={s.id}>
                    <td>
                      <a href={`#/sprints/${encodeURIComponent(s.id)}`}>{s.name}</a>{' '}
                      <small class="muted">{s.id}</small>
                    </td>
                    <td>
                      <span class={`badge st-${s.status}`}>{s.status}</span>
                    </td>
                    <td>
                      <progress max={1} value={s.progress} aria-label={`${s.name} progress`} />{' '}
                      {s.counts.done + s.counts.skipped}/{s.counts.total}
                    </td>
                    <td>
                      <Spend usd={s.costUsd} estimated={s.estimatedCostUsd} />
                    </td>
                    <td>{tokensOf(s.tokens)}</td>
                    <td>
                      {since(
                        s.startedAt,
                        s.completedAt ?? (s.status === 'in-progress' ? undefined : s.updatedAt),
                      )}
                    </td>
                    <td>{(s.current ?? []).join(', ') || '-'}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      )}
      <WorkersSection onAuthLost={onAuthLost} />
      {value?.sprints.some((s) => s.invalid) ? (
        <>
          <h2>Invalid sprints</h2>
          <ul>
            {value.sprints
              .filter((s) => s.invalid)
              .map((i) => (
                <li key={i.id}>
                  <strong>{i.id}</strong>: <span class="error">{i.invalid}</span>
                </li>
              ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

/** Workers heartbeat every 2 s; the list is asked for as often, while the tab is seen. */
const WORKERS_POLL_MS = 2000;

/** A `<sprint>/<task>` of a worker, linked to its sprint. */
function WorkerTask({ task }: { task: string }) {
  const sprint = task.slice(0, task.lastIndexOf('/'));
  return sprint ? <a href={`#/sprints/${encodeURIComponent(sprint)}`}>{task}</a> : <>{task}</>;
}

/**
 * The workers of a database store (`sprint worker`): who, where, in which
 * state, doing what, last heard from when. Shown only when the server's
 * sprints are in a database; the ages are by the database's clock.
 */
function WorkersSection({ onAuthLost }: { onAuthLost(): void }) {
  const load = useCallback(
    () => call<{ database: boolean; workers: Json[] }>('GET', '/workers'),
    [],
  );
  const { value, error, reload } = useReload(load, onAuthLost);
  useEffect(() => {
    const timer = setInterval(() => {
      if (!document.hidden) reload();
    }, WORKERS_POLL_MS);
    return () => clearInterval(timer);
  }, [reload]);
  if (!value?.database) return null;
  return (
    <>
      <h2>Workers</h2>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {value.workers.length === 0 ? (
        <p>
          No worker has registered yet: start one with <code>sprint worker</code>.
        </p>
      ) : (
        <div class="scroll">
          <table class="workers">
            <thead>
              <tr>
                <th>Name</th>
                <th>Host</th>
                <th>State</th>
                <th>Tasks</th>
                <th>Last heartbeat</th>
              </tr>
            </thead>
            <tbody>
              {value.workers.map((w) => (
                <tr key={w.name}>
                  <td>{w.name}</td>
                  <td>{w.host}</td>
                  <td>
                    <span class={`badge st-${w.state}`}>{w.state}</span>
                  </td>
                  <td>
                    {w.tasks.length ? (
                      w.tasks.map((t: string, i: number) => (
                        <span key={t}>
                          {i > 0 && ', '}
                          <WorkerTask task={t} />
                        </span>
                      ))
                    ) : w.lastTasks?.length ? (
                      <span class="muted">was running {w.lastTasks.join(', ')}</span>
                    ) : (
                      '-'
                    )}
                  </td>
                  <td>{elapsed(w.heartbeatAgeMs)} ago</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

interface TaskLive {
  agent?: string;
  costUsd: number;
  startedAt?: string;
  finishedAt?: string;
  activity: string[];
}

function taskLives(events: RunEvent[]): Map<string, TaskLive> {
  const map = new Map<string, TaskLive>();
  const of = (id: string) => {
    let t = map.get(id);
    if (!t) {
      t = { costUsd: 0, activity: [] };
      map.set(id, t);
    }
    return t;
  };
  for (const e of events) {
    if (!e.taskId) continue;
    if (e.type === 'task-started') {
      const t = of(e.taskId);
      t.agent = e.agent;
      t.startedAt = e.at;
      t.finishedAt = undefined;
      t.activity = [];
    } else if (e.type === 'task-finished') {
      const t = of(e.taskId);
      t.finishedAt = e.at;
      t.costUsd += e.result?.usage?.costUsd ?? e.result?.costUsd ?? 0;
    } else if (e.type === 'agent-activity') {
      const a = e.activity as Json;
      const line =
        a.kind === 'tool-use'
          ? `${a.tool}: ${String(a.input).slice(0, 120)}`
          : a.kind === 'usage'
            ? `tokens ${tokensOf(a.tokens)}${a.costUsd !== undefined ? `, ${money(a.costUsd)}` : ''}`
            : a.kind === 'text'
              ? String(a.text).slice(0, 160)
              : a.kind === 'log'
                ? String(a.line).slice(0, 160)
                : a.kind === 'retry'
                  ? a.message
                  : '';
      if (line) {
        const t = of(e.taskId);
        t.activity.push(line);
        if (t.activity.length > 8) t.activity.shift();
      }
    }
  }
  return map;
}

function SprintPage(props: {
  id: string;
  token: string;
  onLive(s: LiveState | 'idle'): void;
  onNotice(n: Notice): void;
  onAuthLost(): void;
}) {
  const { id, token } = props;
  const path = `/sprints/${encodeURIComponent(id)}`;
  const load = useCallback(() => call<Json>('GET', path), [path]);
  const { value, error, reload } = useReload(load, props.onAuthLost);
  const [events, setEvents] = useState<RunEvent[]>([]);
  const [message, setMessage] = useState('');
  const [result, setResult] = useState<Json | null>(null);
  const [showAll, setShowAll] = useState(false);
  useEffect(() => {
    const ctl = new AbortController();
    const queue: RunEvent[] = [];
    let frame = 0;
    // Events are applied once per animation frame: a burst of 200/s costs a few renders, not 200.
    const flush = () => {
      frame = 0;
      const batch = queue.splice(0);
      setEvents((old) => old.concat(batch));
      reload();
    };
    void followEvents(`${path}/events`, {
      token,
      signal: ctl.signal,
      onState: props.onLive,
      onEvent: (e) => {
        const event = e as RunEvent;
        queue.push(event);
        const n = noticeOf(event);
        if (n) props.onNotice({ ...n, title: `${id}: ${n.title}` });
        if (!frame) frame = requestAnimationFrame(flush);
      },
    });
    return () => {
      ctl.abort();
      cancelAnimationFrame(frame);
      props.onLive('idle');
    };
  }, [path, token]);
  const sprint = value?.sprint as Json | undefined;
  const status = sprint?.status as string | undefined;
  useEffect(() => {
    if (!status || status === 'in-progress' || status === 'not-started') return setResult(null);
    call<Json>('GET', `${path}/result`).then(setResult, () => setResult(null));
  }, [status, path]);
  const lives = useMemo(() => taskLives(events), [events]);
  const act = async (what: string, body: Json = {}) => {
    setMessage('');
    try {
      let res: Json;
      for (let tries = 0; ; tries++) {
        try {
          res = await call<Json>('POST', `${path}/${what}`, body);
          break;
        } catch (err) {
          // A run that just paused, stopped or blocked may still be closing on the
          // server for a moment: a Run/Resume, Skip or Retry then gets 409 briefly
          // (for Skip and Retry, only the "sprint is locked" 409: the others are final).
          const closing =
            err instanceof RequestError &&
            err.status === 409 &&
            (what === 'run' ||
              what === 'resume' ||
              (/\/(skip|retry)$/.test(what) && err.code === 'SPRINT_LOCKED')) &&
            tries < 40;
          if (!closing) throw err;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      setMessage(
        res.taskId && res.to
          ? `Task ${res.taskId}: ${res.from} → ${res.to}.${res.to === 'pending' ? ' It runs on the next Resume.' : ''}`
          : what === 'tasks'
            ? `Added ${res.added.join(', ') || 'nothing'}${res.skipped.length ? `; already there: ${res.skipped.join(', ')}` : ''}.`
            : res.outcome
              ? `${what}: ${res.outcome}`
              : `${what}: started`,
      );
      reload();
      return true;
    } catch (err) {
      setMessage((err as Error).message);
      return false;
    }
  };
  if (error && !sprint)
    return (
      <section>
        <p role="alert" class="error">
          {error}
        </p>
        <a href="#/">All sprints</a>
      </section>
    );
  if (!sprint) return <p>Loading…</p>;
  const deps = depsOf(sprint.tasks as Json[]);
  const running = status === 'in-progress' && (Boolean(value?.run) || sprint.running);
  // Skip and retry change a task only while no run holds the sprint (the server answers 409 otherwise).
  const taskActs = !running && status !== 'completed' && status !== 'cancelled';
  const note = statusNote(sprint.reason, status, running);
  const allTasks = sprint.tasks as Json[];
  // A long sprint shows its first rows at once; the rest on request (drawing 1,000 rows costs seconds on a slow phone).
  const tasks = showAll ? allTasks : allTasks.slice(0, ROW_LIMIT);
  // A completed sprint has removed all its worktrees (the state keeps each one's last stage).
  const queue =
    status === 'completed'
      ? []
      : ((sprint.worktrees ?? []) as Json[]).filter((w) => QUEUE_STAGES.has(w.stage));
  return (
    <section>
      <p>
        <a href="#/">All sprints</a>
      </p>
      <h1>
        {sprint.name} <span class={`badge st-${status}`}>{status}</span>
      </h1>
      <dl class="facts">
        <div>
          <dt>Progress</dt>
          <dd>
            {sprint.counts.done + sprint.counts.skipped}/{sprint.counts.total} done
          </dd>
        </div>
        <div>
          <dt>Cost</dt>
          <dd>
            <Spend usd={sprint.costUsd} estimated={sprint.estimatedCostUsd} />
          </dd>
        </div>
        <div>
          <dt>Tokens</dt>
          <dd>{tokensOf(sprint.tokens)}</dd>
        </div>
        <div>
          <dt>Iterations</dt>
          <dd>{sprint.iterations}</dd>
        </div>
        <div>
          <dt>Elapsed</dt>
          <dd>{since(sprint.startedAt, sprint.completedAt)}</dd>
        </div>
      </dl>
      {note && <p class="reason">{note}</p>}
      <Controls
        status={status!}
        // The live status wins over a run record fetched earlier: once the
        // events say the sprint paused or ended, its run is over.
        running={running}
        act={act}
      />
      {message && (
        <p role="status" class="message">
          {message}
        </p>
      )}
      {sprint.humanNeeded && status === 'needs-human' && (
        <HumanForm needed={sprint.humanNeeded} act={act} />
      )}
      {sprint.blocked.length > 0 && (
        <>
          <h2>Blocked</h2>
          <ul>
            {(sprint.blocked as Json[]).map((b) => (
              <li key={b.taskId}>
                <strong>{b.taskId}</strong>: {b.reason}
              </li>
            ))}
          </ul>
        </>
      )}
      {sprint.current.length > 0 && (
        <>
          <h2>Running now</h2>
          {(sprint.current as Json[]).map((c) => (
            <div class="card" key={c.id}>
              <strong>{c.id}</strong> {c.title}{' '}
              <small class="muted">
                attempt {c.attempt}, {c.agent}, {since(c.startedAt)}
              </small>
              <WorktreeLine worktree={worktreeOf(sprint, c.id)} />
              <ul class="activity" aria-live="polite">
                {(lives.get(c.id)?.activity ?? []).map((a, i) => (
                  <li key={i}>{a}</li>
                ))}
              </ul>
            </div>
          ))}
        </>
      )}
      {queue.length > 0 && (
        <>
          <h2>Merge queue</h2>
          <ul class="queue">
            {queue.map((w) => (
              <li key={w.taskId}>
                <strong>{w.taskId}</strong> <span class={`badge wt-${w.stage}`}>{w.stage}</span>{' '}
                {w.branch && <code>{w.branch}</code>}
                {w.detail && <span class="muted"> {w.detail}</span>}
              </li>
            ))}
          </ul>
        </>
      )}
      <h2>Tasks</h2>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>Task</th>
              <th>Status</th>
              <th>Attempts</th>
              <th>Agent</th>
              <th>Cost</th>
              <th>Duration</th>
              {taskActs && <th>Actions</th>}
            </tr>
          </thead>
          <tbody>
            {tasks.map((t) => {
              const l = lives.get(t.id);
              return (
                <tr key={t.id}>
                  <td>
                    <strong>{t.id}</strong> {t.title}
                    {t.reason && (
                      <div class={t.status === 'skipped' ? 'muted' : 'error'}>{t.reason}</div>
                    )}
                    <WorktreeLine worktree={t.worktree} done={t.status === 'done'} />
                  </td>
                  <td>
                    <span class={`badge st-${t.status}`}>{t.status}</span>
                  </td>
                  <td>{t.attempts}</td>
                  <td>{t.agent ?? l?.agent ?? '-'}</td>
                  <td>
                    {t.costUsd !== undefined ? (
                      <Spend usd={t.costUsd} estimated={t.estimatedCostUsd} />
                    ) : l ? (
                      money(l.costUsd)
                    ) : (
                      '-'
                    )}
                  </td>
                  <td>
                    {t.status === 'running' && l?.startedAt
                      ? since(l.startedAt)
                      : t.durationMs
                        ? elapsed(t.durationMs)
                        : '-'}
                  </td>
                  {taskActs && (
                    <td>
                      <TaskActions id={t.id} status={t.status} act={act} />
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {tasks.length < allTasks.length && (
        <p>
          <button type="button" onClick={() => setShowAll(true)}>
            Show all {allTasks.length.toLocaleString()} tasks
          </button>{' '}
          <span class="muted">
            {tasks.length} of {allTasks.length.toLocaleString()} shown
          </span>
        </p>
      )}
      <h2>Dependencies</h2>
      <DependencyList deps={deps} limit={showAll ? Number.POSITIVE_INFINITY : ROW_LIMIT} />
      {sprint.deferredItems.length > 0 && (
        <>
          <h2>Deferred</h2>
          <ul>
            {(sprint.deferredItems as string[]).map((d, i) => (
              <li key={i}>{d}</li>
            ))}
          </ul>
        </>
      )}
      {result && (
        <>
          <h2>Last result</h2>
          <pre class="result">{JSON.stringify(result, null, 2)}</pre>
        </>
      )}
      <AddTask act={act} />
      <EventLog id={id} events={events} />
    </section>
  );
}

/** Task and dependency rows drawn before "Show all". */
const ROW_LIMIT = 200;

/** Stages shown under "Merge queue": on the way in, or stuck (`kept` waits for a person). */
const QUEUE_STAGES = new Set([
  'queued',
  'verifying',
  'waiting-for-user',
  'conflicted',
  'verify-failed',
  'kept',
]);

/** The tasks' dependencies, kept while the task list is the same (so the list below is not rebuilt). */
let depsCache: { tasks: Json[]; deps: Map<string, string[]> } | undefined;
function depsOf(tasks: Json[]): Map<string, string[]> {
  const same =
    depsCache &&
    depsCache.tasks.length === tasks.length &&
    depsCache.tasks.every((t, i) => t.id === tasks[i]!.id);
  if (!same) {
    depsCache = { tasks, deps: new Map(tasks.map((t) => [t.id, t.dependsOn ?? []])) };
  }
  return depsCache!.deps;
}

const worktreeOf = (sprint: Json, taskId: string): Json | undefined =>
  (sprint.tasks as Json[]).find((t) => t.id === taskId)?.worktree;

/**
 * Where an isolated task works: its branch, worktree and merge-queue stage;
 * once it is done, the commit it was integrated as (its worktree is removed by then).
 */
function WorktreeLine({ worktree, done }: { worktree?: Json; done?: boolean }) {
  if (!worktree || typeof worktree !== 'object') return null;
  return (
    <div class="muted wt">
      {worktree.branch && (
        <>
          branch <code>{worktree.branch}</code>
        </>
      )}
      {worktree.path && (
        <>
          {' '}
          in <code>{worktree.path}</code>
        </>
      )}{' '}
      ({worktree.stage})
      {done && worktree.commit && (
        <>
          , integrated as <code>{String(worktree.commit).slice(0, 12)}</code>
        </>
      )}
    </div>
  );
}

/** Skip (with a reason) and Retry of one task, each confirmed first. */
function TaskActions({
  id,
  status,
  act,
}: {
  id: string;
  status: string;
  act(what: string, body?: Json): Promise<boolean>;
}) {
  const path = `tasks/${encodeURIComponent(id)}`;
  const skip = () => {
    const reason = prompt(`Skip task ${id}? Its dependents may then run. Say why:`)?.trim();
    if (reason) void act(`${path}/skip`, { reason });
  };
  const retry = () => {
    if (confirm(`Retry task ${id}? It goes back to pending and runs on the next Resume.`))
      void act(`${path}/retry`);
  };
  return (
    <span class="task-acts">
      {(status === 'pending' || status === 'failed' || status === 'blocked') && (
        <button type="button" aria-label={`Skip ${id}`} onClick={skip}>
          Skip
        </button>
      )}
      {(status === 'blocked' || status === 'skipped') && (
        <button type="button" aria-label={`Retry ${id}`} onClick={retry}>
          Retry
        </button>
      )}
    </span>
  );
}

function Controls({
  status,
  running,
  act,
}: {
  status: string;
  running: boolean;
  act(what: string, body?: Json): Promise<boolean>;
}) {
  const [reason, setReason] = useState('');
  const finished = status === 'completed' || status === 'cancelled';
  const run = (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const body: Json = {};
    const agent = String(f.get('agent') ?? '').trim();
    if (agent) body.agent = agent;
    for (const [k, field] of [
      ['maxIterations', 'max-iterations'],
      ['maxCostUsd', 'max-cost'],
      ['concurrency', 'concurrency'],
    ] as const) {
      const v = String(f.get(field) ?? '').trim();
      if (v) body[k] = Number(v);
    }
    void act(status === 'not-started' ? 'run' : 'resume', body);
  };
  return (
    <div class="controls">
      <form class="run" onSubmit={run}>
        <label>
          Agent <input name="agent" placeholder="server default" size={10} />
        </label>
        <label>
          Max iterations <input name="max-iterations" type="number" min={1} inputMode="numeric" />
        </label>
        <label>
          Max cost ($) <input name="max-cost" type="number" min={0} step="any" />
        </label>
        <label>
          Concurrency <input name="concurrency" type="number" min={1} max={64} />
        </label>
        <button type="submit" disabled={running || finished}>
          {status === 'not-started' ? 'Run' : 'Resume'}
        </button>
      </form>
      <div class="buttons">
        <button type="button" disabled={!running} onClick={() => void act('pause')}>
          Pause
        </button>
        <button
          type="button"
          disabled={!running}
          onClick={() =>
            confirm(
              'Stop this sprint? The running task is interrupted and goes back to pending.',
            ) && void act('stop')
          }
        >
          Stop
        </button>
        <label>
          Reason{' '}
          <input
            value={reason}
            onInput={(e) => setReason((e.target as HTMLInputElement).value)}
            size={14}
          />
        </label>
        <button
          type="button"
          class="danger"
          disabled={finished}
          onClick={() => {
            if (!reason.trim()) return void act('cancel', { reason: '' });
            if (confirm(`Cancel this sprint for good? Reason: ${reason}`))
              void act('cancel', { reason });
          }}
        >
          Cancel
        </button>
      </div>
    </div>
  );
}

function HumanForm({
  needed,
  act,
}: {
  needed: Json;
  act(what: string, body?: Json): Promise<boolean>;
}) {
  const [answer, setAnswer] = useState('');
  return (
    <form
      class="card human"
      onSubmit={(e) => {
        e.preventDefault();
        void act('resume', { answer });
      }}
    >
      <h2>Needs a human: {needed.taskId}</h2>
      <p class="question">{needed.reason}</p>
      {needed.details && <p>{needed.details}</p>}
      {needed.options?.length ? (
        <div class="buttons">
          {(needed.options as string[]).map((o) => (
            <button type="button" key={o} onClick={() => setAnswer(o)}>
              Use “{o}”
            </button>
          ))}
        </div>
      ) : null}
      <label for="answer">Your answer</label>
      <textarea
        id="answer"
        value={answer}
        required
        onInput={(e) => setAnswer((e.target as HTMLTextAreaElement).value)}
      />
      <button type="submit">Answer</button>
    </form>
  );
}

function DependencyList({ deps, limit }: { deps: Map<string, string[]>; limit: number }) {
  const all = useMemo(() => dependencyRows(deps), [deps]);
  const rows = all.length > limit ? all.slice(0, limit) : all;
  if (![...deps.values()].some((d) => d.length))
    return <p class="muted">No task depends on another.</p>;
  // A flat list indented by depth (capped so a long chain stays on a phone); the depth is also said in text past 8.
  return (
    <ul class="deps">
      {rows.map((r) => (
        <li key={r.id} data-depth={Math.min(r.depth, 8)}>
          {r.depth > 8 ? <span class="muted">{r.depth} deep · </span> : null}
          {r.id}
          {r.alsoAfter.length > 0 && (
            <span class="muted"> (also after {r.alsoAfter.join(', ')})</span>
          )}
        </li>
      ))}
    </ul>
  );
}

function AddTask({ act }: { act(what: string, body?: Json): Promise<boolean> }) {
  return (
    <details>
      <summary>Add a task</summary>
      <form
        class="add"
        onSubmit={async (e) => {
          e.preventDefault();
          const form = e.target as HTMLFormElement;
          const f = new FormData(form);
          const task: Json = { type: String(f.get('type')).trim() };
          for (const k of ['id', 'title', 'description']) {
            const v = String(f.get(k) ?? '').trim();
            if (v) task[k] = v;
          }
          if (await act('tasks', { tasks: [task] })) form.reset();
        }}
      >
        <label>
          Type <input name="type" required defaultValue="feature" />
        </label>
        <label>
          Id <input name="id" />
        </label>
        <label>
          Title <input name="title" />
        </label>
        <label>
          Description <textarea name="description" />
        </label>
        <button type="submit">Add task</button>
      </form>
    </details>
  );
}

function EventLog({ id, events }: { id: string; events: RunEvent[] }) {
  const [filter, setFilter] = useState('');
  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    const list = f
      ? events.filter(
          (e) =>
            e.type.includes(f) ||
            (e.taskId ?? '').toLowerCase().includes(f) ||
            JSON.stringify(e).toLowerCase().includes(f),
        )
      : events;
    return list.slice(-300);
  }, [events, filter]);
  const download = () => {
    const blob = new Blob(
      events.map((e) => `${JSON.stringify(e)}\n`),
      { type: 'application/x-ndjson' },
    );
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${id}-events.jsonl`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 0);
  };
  return (
    <>
      <h2>Event log</h2>
      <div class="buttons">
        <label>
          Filter{' '}
          <input
            type="search"
            value={filter}
            onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="button" onClick={download}>
          Download
        </button>
        <span class="muted">{events.length} events</span>
      </div>
      <ol class="log">
        {shown.map((e) => (
          <li key={e.seq}>
            <code>{e.seq}</code> <time>{e.at.slice(11, 19)}</time> <strong>{e.type}</strong>{' '}
            {e.taskId ?? ''} <span class="muted">{summaryOf(e)}</span>
          </li>
        ))}
      </ol>
    </>
  );
}

function summaryOf(e: RunEvent): string {
  switch (e.type) {
    case 'sprint-status':
      return `${e.from} → ${e.to}${e.reason ? `: ${e.reason}` : ''}`;
    case 'task-status':
      return `${e.from} → ${e.to}${e.reason ? `: ${e.reason}` : ''}`;
    case 'task-finished':
      return `${e.outcome} → ${e.to}`;
    case 'agent-activity':
      return e.activity.kind === 'tool-use'
        ? `${e.activity.tool} ${String(e.activity.input).slice(0, 80)}`
        : e.activity.kind;
    case 'log':
      return e.message;
    case 'control':
      return `${e.action}${e.reason ? `: ${e.reason}` : ''}`;
    case 'run-ended':
      return `${e.status} (${e.stopReason?.kind})`;
    default:
      return '';
  }
}

render(<App />, document.getElementById('app')!);
