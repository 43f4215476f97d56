// bench/http-overhead: one zod-validated command served by Tandem and by a bare node:http
// handler doing the same parse+validate, both driven by autocannon on loopback in one run.
//
// The servers run for the whole bench, each in its own process pinned to core 0, with
// autocannon on core 1. The load moves between them in short rounds (the order rotates every
// round), so the measurements of a round are seconds apart. On a shared machine whose speed
// drifts by minutes, that pairing is what makes the ratio stable: each round gives a
// Tandem/bare ratio, and the bench reports their median and quartiles besides the medians of
// each server's own figures.
//
// A second process of the bare server runs as a control. The same code in two processes
// should give 1.0; how far its ratio strays says how much of a Tandem/bare ratio in the same
// run is the host treating two processes differently rather than a difference in code. The
// Tandem/bare ratio takes the mean of both bare processes as the bare side of each round.
//
//   npm run bench:http-overhead -- [--rounds 30] [--seconds 1] [--connections 50]
import { loadOrders } from '../lib/order-load.mjs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startServer, pinSelf } from '../lib/server-process.mjs';
import { fixed, median, percentile, table } from '../lib/stats.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '30' },
    seconds: { type: 'string', default: '1' },
    connections: { type: 'string', default: '50' },
  },
});
const rounds = Number(values.rounds);
const duration = Number(values.seconds);
const connections = Number(values.connections);

const bareScript = fileURLToPath(new URL('./bare-server.mjs', import.meta.url));
const targets = [
  { name: 'node:http + zod', script: bareScript },
  { name: 'tandem', script: fileURLToPath(new URL('./tandem-server.mjs', import.meta.url)) },
  { name: 'node:http + zod #2', script: bareScript },
];

const load = (url, seconds) => loadOrders(url, { seconds, connections });

pinSelf(1);
const servers = [];
try {
  for (const target of targets)
    servers.push(await startServer(target.script, { cpu: 0, env: { NODE_ENV: 'production' } }));
  for (const server of servers) await load(server.url, 2); // warm-up: JIT and connection pool
  const results = targets.map(() => []);
  for (let round = 1; round <= rounds; round++) {
    for (const i of orderOf(round, targets.length)) {
      const server = servers[i];
      const cpuBefore = await server.cpuMicros();
      const r = await load(server.url, duration);
      const cpuMicros = (await server.cpuMicros()) - cpuBefore;
      if (r.non2xx > 0 || r.errors > 0) throw new Error(`${targets[i].name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      const cpu = cpuMicros / r.requests.total;
      // The share of the round the server's core was busy: near 1 the server set the pace;
      // well below, the load generator did, and the throughput ratio understates the difference.
      const busy = cpuMicros / (duration * 1e6);
      results[i].push({ rps: r.requests.total / duration, p99: r.latency.p99, cpu, busy });
      console.log(
        `round ${round} ${targets[i].name.padEnd(18)} ${fixed(r.requests.total / duration)} req/s  p99 ${r.latency.p99} ms  ${fixed(cpu, 1)} µs CPU/request  busy ${fixed(busy * 100)}%`,
      );
    }
  }
  report(results);
} finally {
  for (const server of servers) await server.stop();
}

/** Each server takes each place in the order equally often: rotated every round, reversed every other. */
function orderOf(round, n) {
  const order = Array.from({ length: n }, (_, i) => (i + round) % n);
  return round % 2 ? order : order.reverse();
}

function report([bare, tandem, control]) {
  const summary = [bare, tandem, control].map((runs, i) => ({
    name: targets[i].name,
    rps: median(runs.map((r) => r.rps)),
    p99: median(runs.map((r) => r.p99)),
    cpu: median(runs.map((r) => r.cpu)),
    busy: median(runs.map((r) => r.busy)),
  }));
  console.log(`\nmedians of ${rounds} rounds, ${duration} s each, ${connections} connections, Node ${process.version}`);
  console.log(
    table([
      ['server', 'req/s', 'p99 ms', 'µs CPU/request', 'core busy'],
      ...summary.map((s) => [s.name, fixed(s.rps), fixed(s.p99, 1), fixed(s.cpu, 1), `${fixed(s.busy * 100)}%`]),
    ]),
  );
  // Per round: Tandem's throughput over the bare server's, and the bare server's CPU per
  // request over Tandem's (the server-bound throughput ratio, which holds even when the load
  // generator is the bottleneck). The bare side of a round is the mean of its two processes,
  // which halves the share of the ratio that is one process's luck with the host.
  const bareRps = bare.map((b, i) => (b.rps + control[i].rps) / 2);
  const bareCpu = bare.map((b, i) => (b.cpu + control[i].cpu) / 2);
  const spread = (ratios) =>
    `${fixed(median(ratios), 3)} (quartiles ${fixed(percentile(ratios, 25), 3)}-${fixed(percentile(ratios, 75), 3)})`;
  console.log(
    `\ntandem / bare throughput, median of per-round ratios: ${spread(tandem.map((t, i) => t.rps / bareRps[i]))} (target >= 0.9)`,
  );
  console.log(
    `bare / tandem CPU per request, median of per-round ratios: ${spread(tandem.map((t, i) => bareCpu[i] / t.cpu))}`,
  );
  console.log(`tandem / bare #1 alone, throughput: ${spread(tandem.map((t, i) => t.rps / bare[i].rps))}`);
  console.log(
    `control, bare #2 / bare #1 throughput (same code, two processes): ${spread(control.map((c, i) => c.rps / bare[i].rps))}`,
  );
  const unsaturated = summary.filter((s) => s.busy < 0.95);
  if (unsaturated.length > 0)
    console.log(
      `note: ${unsaturated.map((s) => `${s.name}'s core was busy ${fixed(s.busy * 100)}% of the time`).join(', ')}: the load generator set the pace, so read the CPU ratio`,
    );
}
