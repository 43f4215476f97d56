// Core's own cost per command, without a server: an app with one command handler (the
// http-overhead bench's schema and handler) whose SyncServer only keeps the host it is
// given; the loop dispatches pre-parsed inputs to it as the HTTP server does
// (SyncHost.dispatch with a per-request object), `--window` at a time. What the HTTP
// server adds (parsing, routing, writing) is not in it; the run, its context, validation
// and its answer are.
//
//   node bench/core-event/dispatch-loop.mjs [--events 20000] [--window 64]
import { parseArgs } from 'node:util';
import { createApp, defineCommand, service, silentLogger } from '@tandem/core';
import { z } from 'zod';
import { PlaceOrder, body, total } from '../http-overhead/payload.mjs';

const { values } = parseArgs({
  options: { events: { type: 'string', default: '20000' }, window: { type: 'string', default: '64' } },
});
const events = Number(values.events);
const window = Number(values.window);

const Place = defineCommand('orders.place', {
  input: PlaceOrder,
  output: z.object({ total: z.number() }),
});
const orders = service('orders').command(Place, async (order) => ({ total: total(order) }));

let host;
const http = {
  name: 'loop',
  async start(h) {
    host = h;
  },
  async stop() {},
};
const app = createApp({ services: [orders], logger: silentLogger, http });
await app.start();
const endpoint = host.endpoints[0];

let sent = 0;
let answered = 0;
let startedAt = 0;
let cpuAtStart;

/** One request as a server keeps it: its headers, and the reply the runtime answers. */
class Request {
  headers = {};
  resolve(result) {
    if (result.total !== 60.25) throw new Error(`wrong total ${result.total}`);
    answer();
  }
  reject(error) {
    throw error;
  }
}

function answer() {
  answered++;
  if (answered === events) {
    const cpu = process.cpuUsage(cpuAtStart);
    console.log(`drained ${performance.now() - startedAt} ${cpu.user + cpu.system}`);
    setImmediate(() => process.exit(0));
  } else if (sent < events) next();
}
function next() {
  sent++;
  const request = new Request();
  host.dispatch(endpoint, JSON.parse(body), request, request);
}
startedAt = performance.now();
cpuAtStart = process.cpuUsage();
for (let i = 0; i < Math.min(window, events); i++) next();
