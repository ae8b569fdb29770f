// Benchmarks of the HTTP API on loopback; prints figures and whether each
// target is met, asserts nothing.
//  1. GET /sprints/{id} of a finished 1,000-task sprint (and of a 20-task one):
//     requests per second and p99 latency (autocannon, keep-alive).
//     Targets (1,000 tasks): >= 5,000 req/s, p99 < 10 ms.
//  2. SSE fan-out: 1,000 subscribers on one sprint; every subscriber must get
//     every event of a run; per event and subscriber, the time from the
//     event's append on the server (its `at`) to its receipt.
//     Target: p99 < 100 ms over every (event, subscriber) pair.
// The server runs in a child process; every request goes to 127.0.0.1 only,
// and every loop is bounded in count and time. Environment: BENCH_SECONDS (5),
// BENCH_SUBSCRIBERS (1000), BENCH_READ_CACHE_MS (the server's default, 200; 0 turns it off),
// BENCH_SERVER_MODULE (another build's dist/index.js, to compare before and after).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const READ_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const TASKS = 20;
const BIG = Number(process.env.BENCH_TASKS ?? 1000);
const met = (ok) => (ok ? 'target met' : 'TARGET NOT MET');

const dir = await mkdtemp(join(tmpdir(), 'sprint-api-bench-'));
const root = join(dir, '.claude', 'sprints');
const token = randomBytes(24).toString('base64url');
const child = spawn(process.execPath, [join(import.meta.dirname, 'bench-server.mjs')], {
  env: { ...process.env, BENCH_ROOT: root, BENCH_TOKEN: token },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise((ok, fail) => {
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    const line = out.split('\n').find((l) => l.startsWith('{'));
    if (line) ok(JSON.parse(line).url);
  });
  child.on('exit', (code) => fail(new Error(`bench server exited with ${code}`)));
});
if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error(`not a loopback URL: ${url}`);
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

async function call(method, path, body) {
  const res = await fetch(url + path, { method, headers, body: body && JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

const tasks = (prefix, n) =>
  Array.from({ length: n }, (_, i) => ({
    id: `${prefix}${i}`,
    type: 'custom',
    fields: { description: `step ${i}`, 'done-when': 'done' },
  }));

async function waitStatus(id, status, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const detail = await call('GET', `/sprints/${id}`);
    if (detail.sprint.status === status && !detail.run) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sprint ${id} did not reach ${status}`);
}

const ms = (n) => `${n.toFixed(2)} ms`;

/**
 * One SSE subscriber on a raw socket: what arrives is kept with its time of
 * arrival, and read (HTTP head, chunk sizes and all) only when asked.
 */
class Subscriber {
  socket;
  connected = false;
  /** Arrival time, bytes, arrival time, bytes... not yet read. */
  chunks = [];
  text = '';
  /** seq -> time of arrival (ms). */
  received = new Map();
  constructor(stampedAt) {
    this.stampedAt = stampedAt;
  }
  drain() {
    for (let i = 0; i < this.chunks.length; i += 2) {
      const at = this.chunks[i];
      this.text += this.chunks[i + 1].toString('latin1');
      let end = this.text.indexOf('\n\n');
      while (end >= 0) {
        const block = this.text.slice(0, end);
        this.text = this.text.slice(end + 2);
        if (block.includes(': connected')) this.connected = true;
        const id = /^id: (\d+)$/m.exec(block);
        if (id) {
          this.received.set(Number(id[1]), at);
          const stamp = /"at":"([^"]+)"/.exec(block);
          if (stamp) this.stampedAt.set(Number(id[1]), Date.parse(stamp[1]));
        }
        end = this.text.indexOf('\n\n');
      }
    }
    this.chunks.length = 0;
    return this;
  }
  has(seq) {
    return this.drain().received.has(seq);
  }
  get(seq) {
    return this.drain().received.get(seq);
  }
}

try {
  // ---- 1. reads ------------------------------------------------------------
  const cache = process.env.BENCH_READ_CACHE_MS
    ? `read cache ${process.env.BENCH_READ_CACHE_MS} ms`
    : 'default read cache';
  for (const n of [BIG, TASKS]) {
    const readId = (
      await call('POST', '/sprints', {
        name: `bench reads ${n}`,
        config: { autoCommit: false },
        tasks: tasks('t', n),
      })
    ).sprint.id;
    await call('POST', `/sprints/${readId}/run`, { agent: 'noop', maxIterations: n + 10 });
    await waitStatus(readId, 'completed', 300_000);
    const path = `/sprints/${readId}`;
    const first = await fetch(url + path, { headers });
    const bytes = (await first.text()).length;
    const etag = first.headers.get('etag');
    // As a plain client, a browser (which accepts compression) and a polling
    // dashboard (which revalidates what it holds) read it.
    const clients = [
      ['plain', headers],
      [
        'accept-encoding: gzip, deflate, br, zstd',
        { ...headers, 'accept-encoding': 'gzip, deflate, br, zstd' },
      ],
      ...(etag ? [['if-none-match (304)', { ...headers, 'if-none-match': etag }]] : []),
    ];
    for (const [client, clientHeaders] of clients) {
      const opts = { url: url + path, headers: clientHeaders, connections: 10, pipelining: 1 };
      await autocannon({ ...opts, duration: 1 }); // warm-up
      const reads = await autocannon({ ...opts, duration: READ_SECONDS });
      // The revalidating client expects 304s; the others 200s.
      const revalidating = client.startsWith('if-none-match');
      const unexpected =
        (revalidating ? reads.requests.total - reads['3xx'] : reads.non2xx) + reads.errors;
      const rps = Math.round(reads.requests.average);
      console.log(
        `GET /sprints/{id} (${n} tasks, ${Math.round(bytes / 1024)} KiB body, ${client}, 10 keep-alive connections, ${READ_SECONDS}s, ${cache}):`,
      );
      console.log(`  requests/s: ${rps} (target >= 5000: ${met(rps >= 5000)})`);
      console.log(
        `  latency: p50 ${reads.latency.p50} ms, p99 ${reads.latency.p99} ms, max ${reads.latency.max} ms (target p99 < 10 ms: ${met(reads.latency.p99 < 10)})`,
      );
      if (unexpected) console.log(`  unexpected answers or errors: ${unexpected}`);
    }
  }

  // ---- 2. SSE fan-out ------------------------------------------------------
  const fanId = (
    await call('POST', '/sprints', {
      name: 'bench fanout',
      config: { autoCommit: false },
      tasks: tasks('f', TASKS),
    })
  ).sprint.id;
  /** seq -> the server's time of the event (ms). */
  const stampedAt = new Map();
  const { host, port } = new URL(url);
  const connectStart = performance.now();
  const subscribers = await Promise.all(
    Array.from(
      { length: SUBSCRIBERS },
      () =>
        new Promise((ok, fail) => {
          const sub = new Subscriber(stampedAt);
          sub.socket = connect({ host: host.split(':')[0], port: Number(port) }, () => {
            sub.socket.write(
              `GET /sprints/${fanId}/events?after=now HTTP/1.1\r\nhost: ${host}\r\nauthorization: Bearer ${token}\r\n\r\n`,
            );
          });
          // A data event's only work is its timestamp: 1,000 subscribers in one
          // process must not measure this client instead of the server.
          sub.socket.on('data', (chunk) => {
            sub.chunks.push(Date.now() + (performance.now() % 1), chunk);
            if (!sub.connected && sub.drain().connected) ok(sub);
          });
          sub.socket.on('error', fail);
          sub.socket.on('close', () => {
            if (!sub.connected) fail(new Error(`SSE subscriber closed: ${sub.text.slice(0, 200)}`));
          });
        }),
    ),
  );
  console.log(
    `SSE fan-out: ${SUBSCRIBERS} subscribers connected in ${ms(performance.now() - connectStart)}`,
  );

  // Single events (tasks-added), from the request's start to the last subscriber; 5 times.
  const singles = [];
  for (let i = 0; i < 5; i++) {
    const before = Date.now();
    await call('POST', `/sprints/${fanId}/tasks`, { tasks: tasks(`extra${i}-`, 1) });
    const seq = i + 1;
    const deadline = Date.now() + 10_000;
    while (subscribers.some((s) => !s.has(seq)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1));
    }
    const times = subscribers.map((s) => s.get(seq) ?? Number.NaN);
    singles.push({
      last: Math.max(...times) - before,
      spread: Math.max(...times) - Math.min(...times),
    });
    await new Promise((r) => setTimeout(r, 100));
  }
  const worst = singles.reduce((a, b) => (b.last > a.last ? b : a));
  const sorted = singles.map((x) => x.last).sort((a, b) => a - b);
  console.log(
    `  one event (POST tasks -> all ${SUBSCRIBERS}): last subscriber after median ${ms(sorted[2])}, worst ${ms(worst.last)} (target < 100 ms); first-to-last spread <= ${ms(Math.max(...singles.map((x) => x.spread)))}`,
  );

  // A whole run: every subscriber gets every event.
  const runStart = Date.now();
  await call('POST', `/sprints/${fanId}/run`, { agent: 'noop' });
  await waitStatus(fanId, 'completed');
  const log = await new Promise((ok, fail) => {
    // The full log, as one more (replaying) subscriber sees it.
    let text = '';
    const req = request(
      `${url}/sprints/${fanId}/events?after=0`,
      { headers: { authorization: `Bearer ${token}` } },
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (c) => {
          text += c;
          if (text.includes('"type":"run-ended"')) {
            req.destroy();
            ok([...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1])));
          }
        });
      },
    );
    req.on('error', fail);
    req.end();
  });
  const lastSeq = log.at(-1);
  const settle = Date.now() + 10_000;
  while (subscribers.some((s) => !s.has(lastSeq)) && Date.now() < settle) {
    await new Promise((r) => setTimeout(r, 5));
  }
  const complete = subscribers.filter((s) => log.every((seq) => s.has(seq))).length;
  const runEnd = Math.max(...subscribers.map((s) => s.get(lastSeq) ?? Number.NaN));
  // For each event of the run and each subscriber: from the event's time on the server to its receipt.
  const runSeqs = log.filter((seq) => seq > 5 && stampedAt.has(seq));
  const pairs = [];
  let missing = 0;
  for (const seq of runSeqs) {
    for (const s of subscribers) {
      const got = s.get(seq);
      if (got === undefined) missing++;
      else pairs.push(got - stampedAt.get(seq));
    }
  }
  pairs.sort((a, b) => a - b);
  const pct = (q) => pairs[Math.min(pairs.length - 1, Math.floor(pairs.length * q))];
  console.log(
    `  a run of ${TASKS + 5} tasks (${log.length} events in the log): ${complete}/${SUBSCRIBERS} subscribers got every event; the run took ${ms(runEnd - runStart)} to its last event at the last subscriber`,
  );
  console.log(
    `  per event and subscriber (${pairs.length} deliveries, ${missing} missing), append on the server -> receipt: median ${ms(pct(0.5))}, p99 ${ms(pct(0.99))}, max ${ms(pairs.at(-1))} (target p99 < 100 ms: ${met(missing === 0 && pct(0.99) < 100)})`,
  );
  for (const s of subscribers) s.socket.destroy();
} finally {
  child.kill('SIGTERM');
  await new Promise((ok) => child.once('exit', ok));
  await rm(dir, { recursive: true, force: true });
}
