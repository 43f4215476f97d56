// bench/tracing: the HTTP command path (validate, handle, publish an event) with the
// OpenTelemetry SDK registered, against the same server without it.
//
// Paired rounds: each round starts the server without an SDK and the server with one,
// both pinned to the same core (0), and loads both at once from core 1 with the same
// connection count. The scheduler gives the two processes equal CPU time, so the ratio of
// their request rates is the ratio of their per-request costs, and whatever else runs on
// the machine during the round slows both alike. Medians over rounds are printed with
// each server's own CPU time per request.
//
//   npm run build -w bench && node bench/tracing.mjs [--rounds 5] [--seconds 5] [--connections 20] [--modes tracing,sampled]
import { loadOrders } from './lib/order-load.mjs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startServer, pinSelf } from './lib/server-process.mjs';
import { fixed, median, table } from './lib/stats.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '20' },
    modes: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const duration = Number(values.seconds);
const connections = Number(values.connections);
const script = fileURLToPath(new URL('./tracing-server.mjs', import.meta.url));
const allModes = [
  {
    name: 'tracing',
    env: { TANDEM_BENCH_OTEL: 'tracing' },
    label: 'trace SDK + AsyncLocalStorage context, batch to discard',
  },
  {
    name: 'explicit',
    env: { TANDEM_BENCH_OTEL: 'explicit' },
    label: 'trace SDK, no context manager, batch to discard',
  },
  {
    name: 'spans',
    env: { TANDEM_BENCH_OTEL: 'explicit', TANDEM_BENCH_PROCESSOR: 'none' },
    label: 'trace SDK, spans recorded but no processor (span cost only)',
  },
  { name: 'full', env: { TANDEM_BENCH_OTEL: 'full' }, label: 'trace + metrics SDK, AsyncLocalStorage context' },
  {
    name: 'sampled',
    env: { TANDEM_BENCH_OTEL: 'tracing', TANDEM_BENCH_SAMPLER: 'ratio' },
    label: 'as tracing, 10% of traces sampled (ParentBased(TraceIdRatio 0.1))',
  },
];

const only = values.modes?.split(',');
const modes = only ? allModes.filter((m) => only.includes(m.name)) : allModes;
if (modes.length === 0)
  throw new Error(`--modes: none of ${values.modes}; expected ${allModes.map((m) => m.name).join(', ')}`);

const load = (url, seconds) => loadOrders(url, { seconds, connections });

async function measure(servers, seconds) {
  const before = await Promise.all(servers.map((s) => s.cpuMicros()));
  const results = await Promise.all(servers.map((s) => load(s.url, seconds)));
  const after = await Promise.all(servers.map((s) => s.cpuMicros()));
  return results.map((r, i) => {
    if (r.non2xx > 0 || r.errors > 0) throw new Error(`${r.non2xx} non-2xx, ${r.errors} errors`);
    return { rps: r.requests.average, p99: r.latency.p99, cpu: (after[i] - before[i]) / r.requests.total };
  });
}

pinSelf(1);
const summary = [];
for (const mode of modes) {
  const runs = [];
  for (let round = 1; round <= rounds; round++) {
    const off = await startServer(script, { cpu: 0, env: { NODE_ENV: 'production', TANDEM_BENCH_OTEL: 'off' } });
    const on = await startServer(script, { cpu: 0, env: { NODE_ENV: 'production', ...mode.env } });
    try {
      await measure([off, on], 1);
      const [a, b] = await measure([off, on], duration);
      runs.push({ off: a, on: b, ratio: b.rps / a.rps });
      console.log(
        `${mode.name.padEnd(8)} round ${round}: off ${fixed(a.rps)} req/s ${fixed(a.cpu, 1)} µs CPU/req | on ${fixed(b.rps)} req/s ${fixed(b.cpu, 1)} µs CPU/req | ratio ${fixed(b.rps / a.rps, 3)}`,
      );
    } finally {
      await Promise.all([off.stop(), on.stop()]);
    }
  }
  summary.push({
    ...mode,
    ratio: median(runs.map((r) => r.ratio)),
    offRps: median(runs.map((r) => r.off.rps)),
    onRps: median(runs.map((r) => r.on.rps)),
    offCpu: median(runs.map((r) => r.off.cpu)),
    onCpu: median(runs.map((r) => r.on.cpu)),
    onP99: median(runs.map((r) => r.on.p99)),
    offP99: median(runs.map((r) => r.off.p99)),
  });
}

console.log(
  `\nmedians of ${rounds} paired rounds, ${duration} s each, ${connections} connections per server, Node ${process.version}`,
);
console.log(
  table([
    [
      'mode',
      'what is registered',
      'req/s off',
      'req/s on',
      'on/off',
      'µs CPU/req off',
      'µs CPU/req on',
      'p99 ms off/on',
    ],
    ...summary.map((s) => [
      s.name,
      s.label,
      fixed(s.offRps),
      fixed(s.onRps),
      fixed(s.ratio, 3),
      fixed(s.offCpu, 1),
      fixed(s.onCpu, 1),
      `${fixed(s.offP99)}/${fixed(s.onP99)}`,
    ]),
  ]),
);
const traced = summary.find((s) => s.name === 'tracing');
if (traced) console.log(`\ntracing on / off throughput: ${fixed(traced.ratio, 3)} (target >= 0.85)`);
