// Tandem: an app with one event handler on the Kafka transport (CloudEvents binary mode,
// zod-validated data, offsets committed after the handler). BENCH_HTTP=plain|console: an idle
// HTTP server beside it, with or without the console (bench-http.mjs). BENCH_TANDEM_KAFKA: the
// URL of another build of the transport to run instead (a bench's `--baseline`).
import { createApp, defineEvent, service, silentLogger } from '@tandem/core';
import { benchHttp } from './bench-http.mjs';
import { countHandled, PlaceOrder, ready } from './drain-counter.mjs';
import { brokers, group, topic } from './kafka-env.mjs';

const { KafkaTransport } = await import(process.env.BENCH_TANDEM_KAFKA ?? '@tandem/transport-kafka');

const OrderPlaced = defineEvent('orders.placed', { data: PlaceOrder, topic });
const orders = service('orders').onEvent(OrderPlaced, async () => countHandled(), { group });
// The mock cluster has no CreateTopics and no controller for the idempotent producer.
const broker = new KafkaTransport({
  brokers,
  clientId: 'bench-tandem',
  createTopics: false,
  idempotent: false,
  logger: silentLogger,
});
const http = await benchHttp();
const app = createApp({ services: [orders], broker, logger: silentLogger, ...http.options });
await app.start();
ready(http.readyAs(topic));
process.on('SIGTERM', () => void app.stop().then(() => process.exit(0)));
