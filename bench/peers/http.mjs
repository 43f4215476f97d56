// bench/peers/http: the zod-validated orders.place command of bench/http-overhead served by
// a bare node:http handler, Tandem, fastify, NestJS and Moleculer (moleculer-web), each in
// its own process pinned to core 0, driven by autocannon on core 1, in rounds whose order
// rotates. Reports medians of req/s, p50/p99 latency, server CPU per request and peak RSS.
//
//   node bench/peers/http.mjs [--rounds 3] [--seconds 5] [--connections 50] [--json out.json]
import { loadOrders } from '../lib/order-load.mjs';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { pinSelf, startServer } from '../lib/server-process.mjs';
import { peakRssBytes } from '../lib/peak-rss.mjs';
import { fixed, median, table } from '../lib/stats.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
    json: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const duration = Number(values.seconds);
const connections = Number(values.connections);

const script = (path) => fileURLToPath(new URL(path, import.meta.url));
const targets = [
  { name: 'node:http + zod', role: 'raw', script: script('../http-overhead/bare-server.mjs') },
  { name: 'tandem', role: 'tandem', script: script('../http-overhead/tandem-server.mjs') },
  { name: 'fastify', role: 'peer', script: script('./http-fastify.mjs') },
  { name: 'nestjs', role: 'peer', script: script('./http-nest.mjs') },
  { name: 'moleculer', role: 'peer', script: script('./http-moleculer.mjs') },
];

const load = (url, seconds) => loadOrders(url, { seconds, connections });

async function measure(target) {
  const server = await startServer(target.script, { cpu: 0, env: { NODE_ENV: 'production' } });
  try {
    await load(server.url, 1); // warm-up: JIT and connection pool
    const cpuBefore = await server.cpuMicros();
    const r = await load(server.url, duration);
    const cpu = ((await server.cpuMicros()) - cpuBefore) / r.requests.total;
    if (r.non2xx > 0 || r.errors > 0) throw new Error(`${target.name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
    return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, cpu, rss: peakRssBytes(server.pid) };
  } finally {
    await server.stop();
  }
}

pinSelf(1);
const runs = new Map(targets.map((t) => [t.name, []]));
for (let round = 0; round < rounds; round++) {
  const order = targets.map((_, i) => targets[(i + round) % targets.length]);
  for (const target of order) {
    const r = await measure(target);
    runs.get(target.name).push(r);
    console.log(
      `round ${round + 1} ${target.name.padEnd(16)} ${fixed(r.rps)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  ${fixed(r.cpu, 1)} µs CPU/req  peak RSS ${fixed(r.rss / 2 ** 20)} MiB`,
    );
  }
}

const summary = targets.map((t) => {
  const rs = runs.get(t.name);
  const pick = (key) => median(rs.map((r) => r[key]));
  return {
    name: t.name,
    role: t.role,
    rps: pick('rps'),
    p50: pick('p50'),
    p99: pick('p99'),
    cpu: pick('cpu'),
    rss: pick('rss'),
  };
});
const raw = summary[0];
console.log(`\nmedians of ${rounds} rounds, ${duration} s each, ${connections} connections, Node ${process.version}`);
console.log(
  table([
    ['server', 'req/s', 'p50 ms', 'p99 ms', 'µs CPU/req', 'peak RSS MiB', 'req/s ratio to raw'],
    ...summary.map((s) => [
      s.name,
      fixed(s.rps),
      fixed(s.p50, 1),
      fixed(s.p99, 1),
      fixed(s.cpu, 1),
      fixed(s.rss / 2 ** 20),
      fixed(s.rps / raw.rps, 3),
    ]),
  ]),
);
if (values.json) {
  const result = {
    bench: 'http',
    title: 'HTTP command (POST, zod-validated JSON)',
    unit: 'req/s',
    settings: { rounds, seconds: duration, connections },
    rows: summary.map((s) => ({
      name: s.name,
      role: s.role,
      rate: s.rps,
      p50: s.p50,
      p99: s.p99,
      cpuMicros: s.cpu,
      peakRss: s.rss,
    })),
  };
  writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
}
