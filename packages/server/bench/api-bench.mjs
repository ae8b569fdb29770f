// Benchmarks of the HTTP API on loopback; prints figures and whether each
// target is met, asserts nothing.
//  1. GET /sprints/{id} of a finished 1,000-task sprint (and of a 20-task one),
//     read by a plain client, a browser (accepts brotli/gzip) and a polling
//     dashboard (revalidates with If-None-Match): requests per second and p99
//     latency (autocannon, 10 keep-alive connections; the median of rounds).
//     Targets (1,000 tasks): >= 5,000 req/s, p99 < 10 ms. Beside each build,
//     for plain reads, the floor: a bare node:http server (floor-server.mjs)
//     sending the same bytes to the same client, and each one's CPU time per
//     request (which the machine's other load moves far less than the rate).
//  2. SSE fan-out: 1,000 subscribers on one sprint; every subscriber must get
//     every event of a run; per event and subscriber, the time from the
//     event's append on the server (its `at`) to its receipt.
//     Target: p99 < 100 ms over every (event, subscriber) pair.
// The server runs in a child process; every request goes to 127.0.0.1 only,
// and every loop is bounded in count and time. Environment: BENCH_SECONDS
// (per round, 2), BENCH_ROUNDS (5), BENCH_SUBSCRIBERS (1000), BENCH_TASKS
// (1000), BENCH_READ_CACHE_MS (the server's default, 200; 0 turns it off),
// BENCH_PARTS (reads,fanout: which of the two to run).
// BENCH_COMPARE=<another build's dist/index.js>: runs that build too, with
// the read rounds of both interleaved and the fan-out in the order A B B A,
// and prints this build's figures as ratios of the other's (a machine whose
// load changes moves both alike).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const ROUND_SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TASKS = 20;
const BIG = Number(process.env.BENCH_TASKS ?? 1000);
const PARTS = new Set((process.env.BENCH_PARTS ?? 'reads,fanout').split(','));
const met = (ok) => (ok ? 'target met' : 'TARGET NOT MET');
const ms = (n) => `${n.toFixed(2)} ms`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (msecs) => new Promise((r) => setTimeout(r, msecs));

const tasks = (prefix, n) =>
  Array.from({ length: n }, (_, i) => ({
    id: `${prefix}${i}`,
    type: 'custom',
    fields: { description: `step ${i}`, 'done-when': 'done' },
  }));

/** A bench script in its own process that prints `{"url": ...}` once listening on 127.0.0.1. */
async function spawnListening(script, env) {
  const child = spawn(process.execPath, [join(import.meta.dirname, script)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const url = await new Promise((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) ok(JSON.parse(line).url);
    });
    child.on('exit', (code) => fail(new Error(`${script} exited with ${code}`)));
  });
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(url)) throw new Error(`not a loopback URL: ${url}`);
  return { child, url };
}

/** A child's CPU time so far (user + system, microseconds), asked over IPC. */
function cpuOf(child) {
  return new Promise((ok) => {
    const onMessage = (m) => {
      if (!m?.cpu) return;
      child.off('message', onMessage);
      ok(m.cpu.user + m.cpu.system);
    };
    child.on('message', onMessage);
    child.send('cpu');
  });
}

/** The floor: a bare node:http server answering every request with `bytes` and `headers`. */
async function startFloor(bytes, headers) {
  const dir = await mkdtemp(join(tmpdir(), 'sprint-api-floor-'));
  const file = join(dir, 'body');
  await writeFile(file, bytes);
  const { child, url } = await spawnListening('floor-server.mjs', {
    BENCH_FLOOR_BODY: file,
    BENCH_FLOOR_HEADERS: JSON.stringify(headers),
  });
  return {
    name: 'floor (bare node:http, same bytes)',
    url,
    child,
    headers: {},
    async stop() {
      child.kill('SIGTERM');
      await new Promise((ok) => child.once('exit', ok));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A bench server in its own process (`module`: which build), on its own temporary root. */
async function startBenchServer(name, module) {
  const dir = await mkdtemp(join(tmpdir(), 'sprint-api-bench-'));
  const token = randomBytes(24).toString('base64url');
  const { child, url } = await spawnListening('bench-server.mjs', {
    BENCH_ROOT: join(dir, '.claude', 'sprints'),
    BENCH_TOKEN: token,
    ...(module ? { BENCH_SERVER_MODULE: module } : {}),
  });
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const server = {
    name,
    url,
    child,
    token,
    headers,
    async call(method, path, body) {
      const res = await fetch(url + path, { method, headers, body: body && JSON.stringify(body) });
      const text = await res.text();
      if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return text ? JSON.parse(text) : undefined;
    },
    async waitStatus(id, status, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const detail = await server.call('GET', `/sprints/${id}`);
        if (detail.sprint.status === status && !detail.run) return;
        await sleep(50);
      }
      throw new Error(`sprint ${id} did not reach ${status}`);
    },
    /** A finished sprint of `n` tasks (the noop agent ran it). */
    async finishedSprint(name, n) {
      const id = (
        await server.call('POST', '/sprints', {
          name,
          // The store writes the original plugin's max-tasks: 10 unless told otherwise.
          config: { autoCommit: false, maxTasks: n },
          tasks: tasks('t', n),
        })
      ).sprint.id;
      await server.call('POST', `/sprints/${id}/run`, { agent: 'noop', maxIterations: n + 10 });
      await server.waitStatus(id, 'completed', 300_000);
      return id;
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((ok) => child.once('exit', ok));
      await rm(dir, { recursive: true, force: true });
    },
  };
  return server;
}

// ---- 1. reads --------------------------------------------------------------

/** The read clients: plain, a browser that accepts compression, a dashboard revalidating what it holds. */
const CLIENTS = [
  { name: 'plain', headers: () => ({}) },
  {
    name: 'accept-encoding: gzip, deflate, br, zstd',
    headers: () => ({ 'accept-encoding': 'gzip, deflate, br, zstd' }),
  },
  {
    name: 'if-none-match (304 expected)',
    headers: (etag) => ({ 'if-none-match': etag }),
    revalidating: true,
  },
];

/**
 * One round of reads; undefined when the server does not give what the client expects
 * (no ETag). `cpuUs`: the server process's CPU time per request, which the machine's
 * other load moves far less than the rate.
 */
async function readRound(server, path, client, etag, seconds) {
  if (client.revalidating && !etag) return undefined;
  const cpuBefore = await cpuOf(server.child);
  const reads = await autocannon({
    url: server.url + path,
    headers: { ...server.headers, ...client.headers(etag) },
    connections: 10,
    pipelining: 1,
    duration: seconds,
  });
  const cpuUs = (await cpuOf(server.child)) - cpuBefore;
  const unexpected =
    (client.revalidating ? reads.requests.total - reads['3xx'] : reads.non2xx) + reads.errors;
  return {
    rps: reads.requests.average,
    p99: reads.latency.p99,
    cpuUs: reads.requests.total ? cpuUs / reads.requests.total : Number.NaN,
    unexpected,
  };
}

async function benchReads(servers) {
  const cache = process.env.BENCH_READ_CACHE_MS
    ? `read cache ${process.env.BENCH_READ_CACHE_MS} ms`
    : 'default read cache';
  for (const n of [BIG, TASKS]) {
    const targets = [];
    for (const server of servers) {
      const path = `/sprints/${await server.finishedSprint(`bench reads ${n}`, n)}`;
      const first = await fetch(server.url + path, { headers: server.headers });
      const body = new Uint8Array(await first.arrayBuffer());
      targets.push({ server, path, bytes: body.byteLength, etag: first.headers.get('etag'), body });
    }
    // The plain reads' floor: this machine, node and the client, with none of the server's work.
    const t0 = targets[0];
    const floor = await startFloor(t0.body, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'private, no-cache',
      etag: t0.etag ?? '"x"',
      vary: 'accept-encoding',
    });
    try {
      await benchClients(n, targets, floor, servers, cache);
    } finally {
      await floor.stop();
    }
  }
}

/** Each client's rounds against every build (and the floor, for plain reads), interleaved. */
async function benchClients(n, targets, floor, servers, cache) {
  for (const client of CLIENTS) {
    const withFloor =
      client.name === 'plain' ? [...targets, { server: floor, path: '/' }] : targets;
    const rounds = new Map(withFloor.map((t) => [t, []]));
    for (const t of withFloor) await readRound(t.server, t.path, client, t.etag, 1); // warm-up
    // Interleaved: a change of the machine's load falls on both builds (and the floor) alike.
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of withFloor) {
        const r = await readRound(t.server, t.path, client, t.etag, ROUND_SECONDS);
        if (r) rounds.get(t).push(r);
      }
    }
    console.log(
      `GET /sprints/{id} (${n} tasks, ${Math.round(targets[0].bytes / 1024)} KiB body, ${client.name}; 10 keep-alive connections, median of ${ROUNDS} rounds of ${ROUND_SECONDS}s, ${cache}):`,
    );
    const figures = new Map();
    for (const t of withFloor) {
      const rs = rounds.get(t);
      if (!rs.length) {
        console.log(`  ${t.server.name}: no ETag, nothing to revalidate`);
        continue;
      }
      const rps = Math.round(median(rs.map((r) => r.rps)));
      const p99 = median(rs.map((r) => r.p99));
      const cpuUs = median(rs.map((r) => r.cpuUs));
      const unexpected = rs.reduce((a, r) => a + r.unexpected, 0);
      figures.set(t.server, { rps, p99, cpuUs });
      console.log(
        `  ${t.server.name}: ${rps} req/s (target >= 5000: ${met(rps >= 5000)}), p99 ${p99} ms (target < 10 ms: ${met(p99 < 10)}), ${Math.round(cpuUs)} µs server CPU per request${unexpected ? `; ${unexpected} unexpected answers or errors` : ''}`,
      );
    }
    const f = figures.get(floor);
    const ours = figures.get(servers[0]);
    if (f && ours) {
      console.log(
        `  ${servers[0].name} / floor: ${(ours.rps / f.rps).toFixed(2)}x the requests/s, ${(ours.p99 / f.p99).toFixed(2)}x the p99, ${(ours.cpuUs / f.cpuUs).toFixed(2)}x the CPU per request (the floor is what this machine and client allow)`,
      );
    }
    const [a, b] = servers.map((s) => figures.get(s));
    if (a && b) {
      console.log(
        `  ${servers[0].name} / ${servers[1].name}: ${(a.rps / b.rps).toFixed(2)}x the requests/s, ${(a.p99 / b.p99).toFixed(2)}x the p99, ${(a.cpuUs / b.cpuUs).toFixed(2)}x the CPU per request`,
      );
    }
  }
}

// ---- 2. SSE fan-out ----------------------------------------------------------

/**
 * One SSE subscriber on a raw socket: what arrives is kept with its time of
 * arrival, and read (HTTP head, chunk sizes and all) only when asked. A data
 * event's only work is its timestamp: 1,000 subscribers in one process must
 * not measure this client instead of the server.
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

/** The p99 (ms) of append -> receipt over every (event, subscriber) pair of a run, or undefined. */
async function benchFanout(server) {
  const fanId = (
    await server.call('POST', '/sprints', {
      name: `bench fanout ${randomBytes(3).toString('hex')}`,
      config: { autoCommit: false, maxTasks: TASKS },
      tasks: tasks('f', TASKS),
    })
  ).sprint.id;
  /** seq -> the server's time of the event (ms). */
  const stampedAt = new Map();
  const { hostname, host, port } = new URL(server.url);
  const connectStart = performance.now();
  const subscribers = await Promise.all(
    Array.from(
      { length: SUBSCRIBERS },
      () =>
        new Promise((ok, fail) => {
          const sub = new Subscriber(stampedAt);
          sub.socket = connect({ host: hostname, port: Number(port) }, () => {
            sub.socket.write(
              `GET /sprints/${fanId}/events?after=now HTTP/1.1\r\nhost: ${host}\r\nauthorization: Bearer ${server.token}\r\n\r\n`,
            );
          });
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
  try {
    console.log(
      `SSE fan-out, ${server.name}: ${SUBSCRIBERS} subscribers connected in ${ms(performance.now() - connectStart)}`,
    );

    // Single events (tasks-added), from the request's start to the last subscriber; 5 times.
    const singles = [];
    for (let i = 0; i < 5; i++) {
      const before = Date.now();
      await server.call('POST', `/sprints/${fanId}/tasks`, { tasks: tasks(`extra${i}-`, 1) });
      const seq = i + 1;
      const deadline = Date.now() + 10_000;
      while (subscribers.some((s) => !s.has(seq)) && Date.now() < deadline) await sleep(1);
      const times = subscribers.map((s) => s.get(seq) ?? Number.NaN);
      singles.push({
        last: Math.max(...times) - before,
        spread: Math.max(...times) - Math.min(...times),
      });
      await sleep(100);
    }
    const sorted = singles.map((x) => x.last).sort((a, b) => a - b);
    console.log(
      `  one event (POST tasks -> all ${SUBSCRIBERS}): last subscriber after median ${ms(sorted[2])}, worst ${ms(sorted.at(-1))} (target < 100 ms); first-to-last spread <= ${ms(Math.max(...singles.map((x) => x.spread)))}`,
    );

    // A whole run: every subscriber gets every event.
    const runStart = Date.now();
    await server.call('POST', `/sprints/${fanId}/run`, { agent: 'noop' });
    await server.waitStatus(fanId, 'completed');
    const log = await new Promise((ok, fail) => {
      // The full log, as one more (replaying) subscriber sees it.
      let text = '';
      const req = request(
        `${server.url}/sprints/${fanId}/events?after=0`,
        { headers: { authorization: `Bearer ${server.token}` } },
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
    while (subscribers.some((s) => !s.has(lastSeq)) && Date.now() < settle) await sleep(5);
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
    return missing === 0 ? pct(0.99) : undefined;
  } finally {
    for (const s of subscribers) s.socket.destroy();
  }
}

const servers = [await startBenchServer('this build')];
try {
  if (process.env.BENCH_COMPARE) {
    servers.push(
      await startBenchServer(
        `other build (${process.env.BENCH_COMPARE})`,
        resolve(process.env.BENCH_COMPARE),
      ),
    );
  }
  if (PARTS.has('reads')) await benchReads(servers);
  if (!PARTS.has('fanout')) {
    // reads only
  } else if (servers.length === 1) await benchFanout(servers[0]);
  else {
    const p99s = new Map(servers.map((s) => [s, []]));
    for (const server of [...servers, ...[...servers].reverse()]) {
      p99s.get(server).push(await benchFanout(server));
    }
    const [a, b] = servers.map((s) => median(p99s.get(s)));
    if (a !== undefined && b !== undefined) {
      console.log(
        `SSE fan-out p99, ${servers[0].name} / ${servers[1].name}: ${(a / b).toFixed(2)}x`,
      );
    }
  }
} finally {
  await Promise.all(servers.map((s) => s.stop()));
}
