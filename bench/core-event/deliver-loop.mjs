// Core's own cost per event, without a broker: an app with one event handler (the same zod
// schema as the peer benches) on a transport that hands it pre-decoded Tandem messages
// through the runtime's `deliver`, keeping `--window` deliveries in flight like a prefetch.
// What a broker transport adds (decoding frames and headers, acking) is not in it, so it
// isolates decodeEvent, validation, the run and its settling.
//
//   node bench/core-event/deliver-loop.mjs [--events 20000] [--window 100]
//
// Prints "drained <ms> <cpu µs>" (as the peer consumers do) and exits; instructions.mjs runs
// it under callgrind for two event counts.
import { parseArgs } from 'node:util';
import { createApp, defineEvent, encodeEvent, service, silentLogger } from '@tandem/core';
import { PlaceOrder, body } from '../http-overhead/payload.mjs';

const { values } = parseArgs({
  options: { events: { type: 'string', default: '20000' }, window: { type: 'string', default: '100' } },
});
const events = Number(values.events);
const window = Number(values.window);

const OrderPlaced = defineEvent('orders.placed', { data: PlaceOrder });
let handled = 0;
const orders = service('orders').onEvent(OrderPlaced, async () => {
  handled++;
});

/** A transport that only keeps the handler it is given; the loop below delivers to it. */
class DeliverOnly {
  name = 'bench';
  capabilities = { orderedByKey: true, nativeDelay: false, persistent: false };
  handler = undefined;
  async connect() {}
  async publish() {}
  async subscribe(spec, handle) {
    this.handler = handle;
    return { ready: Promise.resolve(), close: async () => {} };
  }
  async close() {}
}

const broker = new DeliverOnly();
const app = createApp({ services: [orders], broker, logger: silentLogger });
await app.start();
const deliver = broker.handler.deliver;

// One message shape, as a transport's decode makes it; a fresh object per delivery.
const template = encodeEvent(OrderPlaced, JSON.parse(body), { source: 'orders' });
const payload = Buffer.from(body);
function incoming(n) {
  return {
    topic: OrderPlaced.topic,
    headers: { ...template.headers, 'ce-id': `id-${n}` },
    body: payload,
    id: `id-${n}`,
    attempt: 1,
    receivedAt: Date.now(),
    origin: { topic: OrderPlaced.topic },
  };
}

let sent = 0;
let settled = 0;
let startedAt = 0;
let cpuAtStart;
function done(disposition, error) {
  if (!disposition || disposition.kind !== 'ack') throw error ?? new Error(`not acked: ${disposition?.kind}`);
  settled++;
  if (settled === events) {
    const cpu = process.cpuUsage(cpuAtStart);
    console.log(`drained ${performance.now() - startedAt} ${cpu.user + cpu.system}`);
    setImmediate(() => process.exit(handled === events ? 0 : 1));
  } else if (sent < events) next();
}
function next() {
  deliver(incoming(sent++), done);
}
startedAt = performance.now();
cpuAtStart = process.cpuUsage();
// As a transport's socket reads do: a window's worth per macrotask, the rest as they settle.
for (let i = 0; i < Math.min(window, events); i++) next();
