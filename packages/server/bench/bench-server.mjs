// The server side of the benchmark, in its own process so clients and server
// do not share an event loop. Prints `{"url": ...}` once listening; answers
// `cpu` IPC messages with process.cpuUsage(); SIGTERM stops it.
// BENCH_SERVER_MODULE: another build's index.js to measure (a before/after comparison).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const { startServer } = await import(
  process.env.BENCH_SERVER_MODULE
    ? pathToFileURL(resolve(process.env.BENCH_SERVER_MODULE)).href
    : '../dist/index.js'
);

const server = await startServer({
  port: 0,
  host: '127.0.0.1',
  root: process.env.BENCH_ROOT,
  token: process.env.BENCH_TOKEN,
  agents: { enabled: ['noop'] },
  env: {},
  maxSubscribers: 5000,
  ...(process.env.BENCH_READ_CACHE_MS
    ? { readCacheMs: Number(process.env.BENCH_READ_CACHE_MS) }
    : {}),
});
// The bench asks for this process's CPU time around each round (server CPU per request).
process.on('message', (m) => m === 'cpu' && process.send?.({ cpu: process.cpuUsage() }));
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
await server.closed;
