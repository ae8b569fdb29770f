// The floor of the read benchmark: a bare node:http server, in its own process
// like the bench server, answering every request with the same bytes and
// headers our server sent (BENCH_FLOOR_BODY: a file; BENCH_FLOOR_HEADERS:
// JSON). No routing, no auth, no cache: what node, the kernel and the client
// cost. Prints `{"url": ...}` once listening; answers `cpu` IPC messages with
// process.cpuUsage(); SIGTERM stops it.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const body = readFileSync(process.env.BENCH_FLOOR_BODY);
const headers = JSON.parse(process.env.BENCH_FLOOR_HEADERS ?? '{}');
const server = createServer((_req, res) => {
  res.writeHead(200, { ...headers, 'content-length': body.byteLength });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
process.on('message', (m) => m === 'cpu' && process.send?.({ cpu: process.cpuUsage() }));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`);
});
