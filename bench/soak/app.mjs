// The soak's consumer: one Tandem app, one handler (group 'soak') on RabbitMQ, with the
// PostgreSQL store, so every event runs in a transaction with the inbox and its follow-up
// event goes through the outbox and the relay. Prints "progress <handled> <distinct>
// <duplicates> <rss> <heapUsed>" every second for the driver.
import { createApp, service, silentLogger } from '@tandem/core';
import { RabbitMQTransport } from '@tandem/transport-rabbitmq';
import { postgresStore } from '@tandem/store-postgres';
import { SoakProcessed, SoakRequested } from './contracts.mjs';

const events = Number(process.env.SOAK_EVENTS);
const seen = new Uint8Array(events);
let handled = 0;
let distinct = 0;
let duplicates = 0;

const soak = service('soak').onEvent(SoakRequested, async ({ n }, ctx) => {
  await ctx.publish(SoakProcessed, { n }, { key: `k${n % 256}` });
  handled++;
  // Counted when the handler body ran; a rolled-back transaction that is retried counts twice
  // here, which is why the driver judges loss on the follow-ups, not on this.
  if (seen[n]) duplicates++;
  else {
    seen[n] = 1;
    distinct++;
  }
});

const store = postgresStore({ connectionString: process.env.SOAK_PG, schema: process.env.SOAK_SCHEMA, max: 20 });
const broker = new RabbitMQTransport({
  url: process.env.SOAK_AMQP,
  prefix: process.env.SOAK_PREFIX,
  prefetch: 100,
  logger: silentLogger,
});
const app = createApp({ services: [soak], broker, store, logger: silentLogger, concurrency: 16 });
await app.start();
console.log('listening soak');

setInterval(() => {
  const { rss, heapUsed } = process.memoryUsage();
  console.log(`progress ${handled} ${distinct} ${duplicates} ${rss} ${heapUsed}`);
}, 1000).unref();
process.on('SIGTERM', () => void app.stop().then(() => process.exit(0)));
