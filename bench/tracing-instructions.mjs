// Instructions per request of bench/tracing.mjs's servers, counted by valgrind's callgrind:
// the stable form of its on/off figure, which moves with the machine's load from run to run.
// Each server (Tandem's and the floor's, tracing off and on) runs under callgrind while this
// process sends it `--small` requests and, in a second run, `--large`; the difference of the
// two totals over the difference of the counts is one request's cost, with start-up and
// warm-up cancelled. `--small` has to be past V8's warm-up: with 500 and 2,500 the window
// still ran much unoptimized code (about 620k instructions per request against 130k from
// 3,000 on) and measured that code's tracing cost, not the served one's. The load is
// sequential on `--connections` keep-alive connections, so every run does the same work.
//
//   npx tsc -b && node bench/tracing-instructions.mjs [--small 3000] [--large 8000] [--connections 4]
import { mkdtempSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { body } from './http-overhead/payload.mjs';
import { spawnCallgrind } from './lib/callgrind.mjs';
import { fixed, table } from './lib/stats.mjs';

const { values } = parseArgs({
  options: {
    small: { type: 'string', default: '3000' },
    large: { type: 'string', default: '8000' },
    connections: { type: 'string', default: '4' },
  },
});
const small = Number(values.small);
const large = Number(values.large);
const connections = Number(values.connections);
const out = mkdtempSync(join(tmpdir(), 'tandem-callgrind-'));
const script = (path) => fileURLToPath(new URL(path, import.meta.url));
const servers = [
  { name: 'tandem', script: script('./tracing-server.mjs') },
  { name: 'floor', script: script('./tracing-floor-server.mjs') },
];

/** Sends `count` orders over `connections` keep-alive connections, each sequential. */
async function sendOrders(url, count) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const one = () =>
    new Promise((resolve, reject) => {
      const req = request(
        `${url}/commands/orders.place`,
        { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
        (res) => {
          if (res.statusCode !== 200) reject(new Error(`${url} answered ${res.statusCode}`));
          res.resume().on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  let left = count;
  const lane = async () => {
    while (left-- > 0) await one();
  };
  await Promise.all(Array.from({ length: connections }, lane));
  agent.destroy();
}

/** The server's total instructions from start to exit, having answered `count` requests. */
async function counted(server, mode, count) {
  const { child, exited } = spawnCallgrind({
    name: server.name,
    script: server.script,
    env: { ...process.env, NODE_ENV: 'production', TANDEM_BENCH_OTEL: mode },
    file: join(out, `${server.name}-${mode}-${count}.out`),
  });
  let url;
  // Settles the race only when the server exits before it listens; handled here too, so a
  // failed exit after the requests reaches the caller through `exited` alone.
  const exitedEarly = exited.then(() => {
    if (url === undefined) throw new Error(`${server.name} exited before it listened`);
  });
  exitedEarly.catch(() => undefined);
  url = await Promise.race([
    exitedEarly,
    new Promise((resolve) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const match = /^listening (\S+)/.exec(line);
        if (match) resolve(match[1]);
      });
    }),
  ]);
  await sendOrders(url, count);
  child.kill('SIGTERM');
  return exited;
}

const perRequest = {};
for (const server of servers) {
  for (const mode of ['off', 'tracing']) {
    const totals = [await counted(server, mode, small), await counted(server, mode, large)];
    perRequest[`${server.name} ${mode}`] = (totals[1] - totals[0]) / (large - small);
    console.log(`${server.name} ${mode}: ${fixed(perRequest[`${server.name} ${mode}`])} instructions/request`);
  }
}
const ratio = (name) => perRequest[`${name} off`] / perRequest[`${name} tracing`];
console.log(`\ninstructions per request (callgrind, ${large} - ${small} requests), Node ${process.version}`);
console.log(
  table([
    ['server', 'off', 'tracing', 'off/on', 'tracing adds'],
    ...servers.map(({ name }) => [
      name,
      fixed(perRequest[`${name} off`]),
      fixed(perRequest[`${name} tracing`]),
      fixed(ratio(name), 3),
      fixed(perRequest[`${name} tracing`] - perRequest[`${name} off`]),
    ]),
  ]),
);
console.log(`\ntandem's off/on over the floor's: ${fixed(ratio('tandem') / ratio('floor'), 3)} (target >= 0.95)`);
