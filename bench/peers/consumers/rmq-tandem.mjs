// Tandem: an app with one @OnEvent-style handler on the RabbitMQ transport; Tandem decodes
// the CloudEvent, validates its data with the contract's zod schema and acks.
// BENCH_HTTP=plain|console: an idle HTTP server beside it, with or without the console (bench-http.mjs).
import { createApp, defineEvent, service, silentLogger } from '@tandem/core';
import { RabbitMQTransport } from '@tandem/transport-rabbitmq';
import { benchHttp } from './bench-http.mjs';
import { countHandled, name, PlaceOrder, prefetch, ready, url } from './drain-counter.mjs';

const OrderPlaced = defineEvent('orders.placed', { data: PlaceOrder });
const orders = service('orders').onEvent(OrderPlaced, async () => countHandled());
const broker = new RabbitMQTransport({ url, prefix: name, prefetch, logger: silentLogger });
const http = await benchHttp();
const app = createApp({ services: [orders], broker, logger: silentLogger, ...http.options });
await app.start();
ready(http.readyAs(name));
process.on('SIGTERM', () => void app.stop().then(() => process.exit(0)));
