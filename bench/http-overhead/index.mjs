// bench/http-overhead: one zod-validated command served by Tandem and by a bare node:http
// handler doing the same parse+validate, each in its own process pinned to core 0, driven
// by autocannon on core 1 in alternating rounds of the same run. Prints req/s and p99 per
// round, then the medians and Tandem's throughput as a ratio of the bare handler's.
//
//   npm run bench:http-overhead -- [--rounds 5] [--seconds 5] [--connections 50]
import { loadOrders } from '../lib/order-load.mjs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startServer, pinSelf } from '../lib/server-process.mjs';
import { fixed, median, table } from '../lib/stats.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
  },
});
const rounds = Number(values.rounds);
const duration = Number(values.seconds);
const connections = Number(values.connections);

const targets = [
  { name: 'node:http + zod', script: fileURLToPath(new URL('./bare-server.mjs', import.meta.url)) },
  { name: 'tandem', script: fileURLToPath(new URL('./tandem-server.mjs', import.meta.url)) },
];

const load = (url, seconds) => loadOrders(url, { seconds, connections });

pinSelf(1);
const results = new Map(targets.map((t) => [t.name, []]));
for (let round = 1; round <= rounds; round++) {
  for (const target of round % 2 ? targets : [...targets].reverse()) {
    const server = await startServer(target.script, { cpu: 0, env: { NODE_ENV: 'production' } });
    try {
      await load(server.url, 1); // warm-up: JIT and connection pool
      const cpuBefore = await server.cpuMicros();
      const r = await load(server.url, duration);
      const cpuPerRequest = (await server.cpuMicros()) - cpuBefore;
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`${target.name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      const cpu = cpuPerRequest / r.requests.total;
      results.get(target.name).push({ rps: r.requests.average, p99: r.latency.p99, cpu });
      console.log(
        `round ${round} ${target.name.padEnd(16)} ${fixed(r.requests.average)} req/s  p99 ${r.latency.p99} ms  ${fixed(cpu, 1)} µs CPU/request`,
      );
    } finally {
      await server.stop();
    }
  }
}

const summary = targets.map((t) => {
  const runs = results.get(t.name);
  return {
    name: t.name,
    rps: median(runs.map((r) => r.rps)),
    p99: median(runs.map((r) => r.p99)),
    cpu: median(runs.map((r) => r.cpu)),
  };
});
const [bare, tandem] = summary;
console.log(`\nmedians of ${rounds} rounds, ${duration} s each, ${connections} connections, Node ${process.version}`);
console.log(
  table([
    ['server', 'req/s', 'p99 ms', 'throughput ratio', 'µs CPU/request', 'CPU ratio'],
    ...summary.map((s) => [
      s.name,
      fixed(s.rps),
      fixed(s.p99, 1),
      fixed(s.rps / bare.rps, 3),
      fixed(s.cpu, 1),
      fixed(bare.cpu / s.cpu, 3),
    ]),
  ]),
);
console.log(`\ntandem / bare throughput: ${fixed(tandem.rps / bare.rps, 3)} (target >= 0.9)`);
// When the load generator saturates its core before the bare server does, the throughput
// ratio understates the difference; the CPU ratio (bare µs / tandem µs per request) is the
// server-bound throughput ratio and is less sensitive to a busy machine.
console.log(`bare / tandem CPU per request: ${fixed(bare.cpu / tandem.cpu, 3)}`);
