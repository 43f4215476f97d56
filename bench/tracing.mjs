// bench/tracing: the HTTP command path (validate, handle, publish an event) with the
// OpenTelemetry SDK registered, against the same server without it.
//
// Alternating rounds, as bench/http-overhead: each round runs the server without an SDK and
// the server with one, one after the other (the order swapping every round), each alone on
// core 0 with the load generator on core 1. Loading both at once on one core, as this bench
// did first, measured the two processes thrashing each other's caches: both servers' CPU
// per request doubled, the traced one's (the larger working set) most.
//
// The `floor` mode is the same workload on a bare node:http server that makes the same two
// spans (SERVER with W3C extract, PRODUCER with inject) inside context.with: what the
// OpenTelemetry SDK itself costs any server, before Tandem's share.
//
//   npm run bench:install && npx tsc -b && node bench/tracing.mjs [--rounds 5] [--seconds 5] [--connections 20] [--modes tracing,floor]
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
const tandemServer = fileURLToPath(new URL('./tracing-server.mjs', import.meta.url));
const floorServer = fileURLToPath(new URL('./tracing-floor-server.mjs', import.meta.url));
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
  {
    name: 'floor',
    env: { TANDEM_BENCH_OTEL: 'tracing' },
    label: 'bare node:http + zod making the same two spans, as tracing (no Tandem)',
    script: floorServer,
  },
];

const only = values.modes?.split(',');
const modes = only ? allModes.filter((m) => only.includes(m.name)) : allModes;
if (modes.length === 0)
  throw new Error(`--modes: none of ${values.modes}; expected ${allModes.map((m) => m.name).join(', ')}`);

const load = (url, seconds) => loadOrders(url, { seconds, connections });

async function measure(script, env) {
  const server = await startServer(script, { cpu: 0, env: { NODE_ENV: 'production', ...env } });
  try {
    await load(server.url, 1); // warm-up: JIT and connection pool
    const before = await server.cpuMicros();
    const r = await load(server.url, duration);
    const cpu = ((await server.cpuMicros()) - before) / r.requests.total;
    if (r.non2xx > 0 || r.errors > 0) throw new Error(`${r.non2xx} non-2xx, ${r.errors} errors`);
    return { rps: r.requests.average, p99: r.latency.p99, cpu };
  } finally {
    await server.stop();
  }
}

pinSelf(1);
const summary = [];
for (const mode of modes) {
  const runs = [];
  const script = mode.script ?? tandemServer;
  for (let round = 1; round <= rounds; round++) {
    const measureOff = () => measure(script, { TANDEM_BENCH_OTEL: 'off' });
    const measureOn = () => measure(script, mode.env);
    let a, b;
    if (round % 2) {
      a = await measureOff();
      b = await measureOn();
    } else {
      b = await measureOn();
      a = await measureOff();
    }
    runs.push({ off: a, on: b, ratio: b.rps / a.rps, cpuRatio: a.cpu / b.cpu });
    console.log(
      `${mode.name.padEnd(8)} round ${round}: off ${fixed(a.rps)} req/s ${fixed(a.cpu, 1)} µs CPU/req | on ${fixed(b.rps)} req/s ${fixed(b.cpu, 1)} µs CPU/req | ratio ${fixed(b.rps / a.rps, 3)}`,
    );
  }
  summary.push({
    ...mode,
    ratio: median(runs.map((r) => r.ratio)),
    cpuRatio: median(runs.map((r) => r.cpuRatio)),
    offRps: median(runs.map((r) => r.off.rps)),
    onRps: median(runs.map((r) => r.on.rps)),
    offCpu: median(runs.map((r) => r.off.cpu)),
    onCpu: median(runs.map((r) => r.on.cpu)),
    onP99: median(runs.map((r) => r.on.p99)),
    offP99: median(runs.map((r) => r.off.p99)),
  });
}

console.log(
  `\nmedians of ${rounds} alternating rounds, ${duration} s each, ${connections} connections, Node ${process.version}`,
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
      'CPU off/on',
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
      fixed(s.cpuRatio, 3),
      `${fixed(s.offP99)}/${fixed(s.onP99)}`,
    ]),
  ]),
);
const traced = summary.find((s) => s.name === 'tracing');
if (traced)
  console.log(
    `\ntracing on / off throughput: ${fixed(traced.ratio, 3)}; CPU per request off / on: ${fixed(traced.cpuRatio, 3)}`,
  );
const floor = summary.find((s) => s.name === 'floor');
if (floor)
  console.log(
    `the same spans on a bare node:http server (the SDK's own cost): ${fixed(floor.ratio, 3)}; CPU ${fixed(floor.cpuRatio, 3)}`,
  );
// What Tandem adds to the SDK's cost: its on/off against the floor's (target >= 0.95).
if (traced && floor)
  console.log(
    `tandem's on/off over the floor's: ${fixed(traced.ratio / floor.ratio, 3)} (target >= 0.95); CPU tracing adds per request: tandem ${fixed(traced.onCpu - traced.offCpu, 1)} µs, floor ${fixed(floor.onCpu - floor.offCpu, 1)} µs`,
  );
