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
// Each server runs as two processes. On a shared VM one process can run a few percent slower
// than another of the same code for minutes at a time, so each side of a round is the mean of
// its two processes, and the ratio of the two processes of the same code is printed as the
// run's control: how far it strays from 1.0 says how much of a difference is the host.
//
//   npm run bench:http-overhead -- [--rounds 30] [--seconds 1] [--connections 50] [--console]
//
// --console compares Tandem with the console's API and page mounted (nobody watching) against
// Tandem without them, in the same way: what serving the console costs the app's own requests.
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
    console: { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const duration = Number(values.seconds);
const connections = Number(values.connections);

const bareScript = fileURLToPath(new URL('./bare-server.mjs', import.meta.url));
const tandemScript = fileURLToPath(new URL('./tandem-server.mjs', import.meta.url));
// The baseline and the subject, each as two processes: node:http + zod against Tandem, or
// (--console) Tandem against Tandem with the console mounted.
const [base, subject] = values.console
  ? [
      { label: 'tandem', script: tandemScript, env: {} },
      { label: 'tandem+console', script: tandemScript, env: { TANDEM_BENCH_CONSOLE: '1' } },
    ]
  : [
      { label: 'node:http + zod', short: 'bare', script: bareScript, env: {} },
      { label: 'tandem', script: tandemScript, env: {} },
    ];
const baseShort = base.short ?? base.label;
const targets = [1, 2].flatMap((n) => [base, subject].map((t) => ({ ...t, name: `${t.label} #${n}` })));

const load = (url, seconds) => loadOrders(url, { seconds, connections });

pinSelf(1);
const servers = [];
try {
  for (const target of targets)
    servers.push(await startServer(target.script, { cpu: 0, env: { NODE_ENV: 'production', ...target.env } }));
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
        `round ${round} ${targets[i].name.padEnd(20)} ${fixed(r.requests.total / duration)} req/s  p99 ${r.latency.p99} ms  ${fixed(cpu, 1)} µs CPU/request  busy ${fixed(busy * 100)}%`,
      );
    }
  }
  report(results);
} finally {
  for (const server of servers) await server.stop();
}

/**
 * The order of a round: rotated every other round and reversed in between, so that over 2n
 * rounds each server takes each place twice and no server always follows the same one.
 */
function orderOf(round, n) {
  const shift = Math.floor(round / 2);
  const order = Array.from({ length: n }, (_, i) => (i + shift) % n);
  return round % 2 ? order.reverse() : order;
}

function report(results) {
  const summary = results.map((runs, i) => ({
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
  const [bare1, tandem1, bare2, tandem2] = results;
  // Per round, each side as the mean of its two processes: Tandem's throughput over the bare
  // server's, and the bare server's CPU per request over Tandem's (the server-bound ratio,
  // which holds even when the load generator is the bottleneck).
  const side = (a, b, key) => a.map((r, i) => (r[key] + b[i][key]) / 2);
  const [bareRps, tandemRps] = [side(bare1, bare2, 'rps'), side(tandem1, tandem2, 'rps')];
  const [bareCpu, tandemCpu] = [side(bare1, bare2, 'cpu'), side(tandem1, tandem2, 'cpu')];
  const ratios = (a, b) => a.map((x, i) => x / b[i]);
  const spread = (r) =>
    `${fixed(median(r), 3)} (quartiles ${fixed(percentile(r, 25), 3)}-${fixed(percentile(r, 75), 3)})`;
  console.log(
    `\n${subject.label} / ${baseShort} throughput, median of per-round ratios: ${spread(ratios(tandemRps, bareRps))} (target >= ${values.console ? '0.97' : '0.9'})`,
  );
  console.log(
    `${baseShort} / ${subject.label} CPU per request, median of per-round ratios: ${spread(ratios(bareCpu, tandemCpu))}`,
  );
  const rps = (runs) => runs.map((r) => r.rps);
  console.log(
    `control, #2 / #1 throughput of the same code: ${baseShort} ${spread(ratios(rps(bare2), rps(bare1)))}, ${subject.label} ${spread(ratios(rps(tandem2), rps(tandem1)))}`,
  );
  const unsaturated = summary.filter((s) => s.busy < 0.95);
  if (unsaturated.length > 0)
    console.log(
      `note: ${unsaturated.map((s) => `${s.name}'s core was busy ${fixed(s.busy * 100)}% of the time`).join(', ')}: the load generator set the pace, so read the CPU ratio`,
    );
}
