// bench/client-call: Tandem's httpClient calling the orders.place command against raw
// undici doing the same (JSON body, zod-checked answer) through request() and through its
// lowest API, dispatch(), all against the bare node:http
// server of bench/http-overhead pinned to core 0, each caller in its own process on core 1.
// Closed loop with a fixed number of callers, alternating rounds, medians.
//
//   node bench/client-call/index.mjs [--rounds 5] [--seconds 5] [--connections 32] [--json out.json]
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startServer } from '../lib/server-process.mjs';
import { fixed, median, table } from '../lib/stats.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
    json: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const callers = [
  { name: 'undici', role: 'raw' },
  { name: 'undici dispatch()', role: 'dispatch' },
  { name: 'tandem httpClient', role: 'tandem' },
];
const server = fileURLToPath(new URL('../http-overhead/bare-server.mjs', import.meta.url));
const caller = fileURLToPath(new URL('./caller.mjs', import.meta.url));

function runCaller(who, url) {
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', ['-c', '1', process.execPath, caller], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        NODE_ENV: 'production',
        CALLER: who.role,
        SERVER_URL: url,
        SECONDS: values.seconds,
        CONNECTIONS: values.connections,
      },
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop()))
        : reject(new Error(`${who.name} caller exited with ${code}`)),
    );
  });
}

const runs = new Map(callers.map((c) => [c.name, []]));
const target = await startServer(server, { cpu: 0, env: { NODE_ENV: 'production' } });
try {
  for (let round = 0; round < rounds; round++) {
    for (const who of round % 2 ? [...callers].reverse() : callers) {
      const r = await runCaller(who, target.url);
      runs.get(who.name).push(r);
      console.log(
        `round ${round + 1} ${who.name.padEnd(18)} ${fixed(r.rate)} calls/s  p50 ${fixed(r.p50, 2)} ms  p99 ${fixed(r.p99, 2)} ms  ${fixed(r.cpuMicros, 1)} µs CPU/call`,
      );
    }
  }
} finally {
  await target.stop();
}
const summary = callers.map((c) => {
  const rs = runs.get(c.name);
  const pick = (key) => median(rs.map((r) => r[key]));
  return {
    ...c,
    rate: pick('rate'),
    p50: pick('p50'),
    p99: pick('p99'),
    cpuMicros: pick('cpuMicros'),
    peakRss: pick('peakRss'),
  };
});
console.log(
  `\nmedians of ${rounds} rounds, ${values.seconds} s each, ${values.connections} callers in a closed loop, Node ${process.version}`,
);
console.log(
  table([
    ['caller', 'calls/s', 'p50 ms', 'p99 ms', 'caller µs CPU/call', 'peak RSS MiB', 'ratio to undici'],
    ...summary.map((s) => [
      s.name,
      fixed(s.rate),
      fixed(s.p50, 2),
      fixed(s.p99, 2),
      fixed(s.cpuMicros, 1),
      fixed(s.peakRss / 2 ** 20),
      fixed(s.rate / summary[0].rate, 3),
    ]),
  ]),
);
if (values.json) {
  const result = {
    bench: 'client-call',
    title: 'HTTP client call (typed command call)',
    unit: 'calls/s',
    settings: { rounds, seconds: Number(values.seconds), callers: Number(values.connections) },
    rows: summary.map(({ name, role, rate, p50, p99, cpuMicros, peakRss }) => ({
      name,
      // The report knows raw, tandem and peer rows: dispatch() is a second raw floor, shown beside.
      role: role === 'dispatch' ? 'peer' : role,
      rate,
      p50,
      p99,
      cpuMicros,
      peakRss,
    })),
  };
  writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);
}
