// Tandem: an app with one @OnEvent-style handler on the RabbitMQ transport; Tandem decodes
// the CloudEvent, validates its data with the contract's zod schema and acks.
// BENCH_HTTP=plain gives the app an HTTP server on a free port; BENCH_HTTP=console the same
// server with the console's API and page mounted and nobody looking (what the console costs
// the event path while unwatched).
import { createApp, defineEvent, service, silentLogger } from '@tandem/core';
import { RabbitMQTransport } from '@tandem/transport-rabbitmq';
import { countHandled, name, PlaceOrder, prefetch, ready, url } from './drain-counter.mjs';

async function httpOf(mode) {
  if (mode === undefined) return {};
  const { httpServer } = await import('@tandem/transport-http');
  if (mode === 'plain') return { http: httpServer({ port: 0, logger: silentLogger }) };
  const { consoleApi, consolePage } = await import('@tandem/console');
  return { http: httpServer({ port: 0, logger: silentLogger, mounts: [consoleApi(), consolePage()] }) };
}

const OrderPlaced = defineEvent('orders.placed', { data: PlaceOrder });
const orders = service('orders').onEvent(OrderPlaced, async () => countHandled());
const broker = new RabbitMQTransport({ url, prefix: name, prefetch, logger: silentLogger });
const app = createApp({ services: [orders], broker, logger: silentLogger, ...(await httpOf(process.env.BENCH_HTTP)) });
await app.start();
ready(name);
process.on('SIGTERM', () => void app.stop().then(() => process.exit(0)));
