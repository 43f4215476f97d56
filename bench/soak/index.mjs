// npm run bench:soak -- --events N: N events through one Tandem consumer on RabbitMQ with
// the inbox and outbox on PostgreSQL (bench/soak/app.mjs, pinned to core 0). This process
// (core 1) publishes them, keeping at most --window unconfirmed end to end, and counts the
// follow-up events the consumer's outbox relays back. Reports zero lost or the count lost,
// and the consumer's RSS after warm-up and at the end against a stated bound.
//
//   npm run bench:soak -- [--events 1000000] [--window 20000] [--rss-bound-mib 64]
//     [--pg postgres://postgres@127.0.0.1:5432/test] [--amqp amqp://guest:guest@127.0.0.1:5672]
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { connect } from 'amqplib';
import { encodeEvent, silentLogger } from '@tandem/core';
import { RabbitMQTransport } from '@tandem/transport-rabbitmq';
import { pinSelf, startServer } from '../lib/server-process.mjs';
import { peakRssBytes } from '../lib/peak-rss.mjs';
import { fixed, table } from '../lib/stats.mjs';
import { SoakProcessed, SoakRequested } from './contracts.mjs';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    window: { type: 'string', default: '20000' },
    'rss-bound-mib': { type: 'string', default: '64' },
    'stall-seconds': { type: 'string', default: '120' },
    pg: { type: 'string', default: process.env.TANDEM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    amqp: { type: 'string', default: process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672' },
    json: { type: 'string', default: fileURLToPath(new URL('../results/soak.json', import.meta.url)) },
  },
});
const events = Number(values.events);
const window = Number(values.window);
const rssBound = Number(values['rss-bound-mib']) * 2 ** 20;
const warmupEvents = Math.min(50_000, Math.ceil(events / 10));
const BATCH = 500;
const id = randomBytes(3).toString('hex');
const prefix = `soak-${id}`;
const schema = `soak_${id}`;
const pad = 'x'.repeat(100);

pinSelf(1);
const app = await startServer(fileURLToPath(new URL('./app.mjs', import.meta.url)), {
  cpu: 0,
  env: {
    NODE_ENV: 'production',
    SOAK_EVENTS: String(events),
    SOAK_PG: values.pg,
    SOAK_AMQP: values.amqp,
    SOAK_PREFIX: prefix,
    SOAK_SCHEMA: schema,
  },
});
let latest = { handled: 0, distinct: 0, duplicates: 0, rss: 0, heap: 0 };
let warm;
const rssSeries = [];
void (async () => {
  for (;;) {
    const [, handled, distinct, duplicates, rss, heap] = (
      await app.nextLine(/^progress (\d+) (\d+) (\d+) (\d+) (\d+)/)
    ).map(Number);
    latest = { handled, distinct, duplicates, rss, heap };
    warm ??= distinct >= warmupEvents ? latest : undefined;
    const decile = Math.floor((distinct / events) * 10);
    if (!rssSeries[decile]) rssSeries[decile] = { distinct, rss };
  }
})();

const transport = new RabbitMQTransport({ url: values.amqp, prefix, logger: silentLogger });
await transport.connect();
const followSeen = new Uint8Array(events);
let followUps = 0;
let followDuplicates = 0;
const counter = await transport.subscribe(
  { topics: [SoakProcessed.topic], group: 'soak-counter', concurrency: 64 },
  async (m) => {
    const { n } = JSON.parse(Buffer.from(m.body).toString());
    if (followSeen[n]) followDuplicates++;
    else {
      followSeen[n] = 1;
      followUps++;
    }
    return { kind: 'ack' };
  },
);
await counter.ready;

const started = performance.now();
let sent = 0;
let lastProgress = { at: performance.now(), followUps: 0 };
const stalled = () => performance.now() - lastProgress.at > Number(values['stall-seconds']) * 1000;
let nextReport = 0;
while (followUps < events && !stalled()) {
  if (followUps !== lastProgress.followUps) lastProgress = { at: performance.now(), followUps };
  if (sent < events && sent - followUps < window) {
    const size = Math.min(BATCH, events - sent);
    await transport.publish(
      Array.from({ length: size }, (_, i) =>
        encodeEvent(SoakRequested, { n: sent + i, pad }, { source: 'soak', key: `k${(sent + i) % 256}` }),
      ),
    );
    sent += size;
  } else {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (performance.now() > nextReport) {
    nextReport = performance.now() + 10_000;
    process.stderr.write(
      `${fixed((performance.now() - started) / 1000)} s: sent ${sent}, handled ${latest.distinct}, follow-ups ${followUps}, consumer RSS ${fixed(latest.rss / 2 ** 20)} MiB\n`,
    );
  }
}
const seconds = (performance.now() - started) / 1000;
await new Promise((resolve) => setTimeout(resolve, 2500)); // one more progress line after the last event
const end = latest;
const rssPeak = peakRssBytes(app.pid);
await app.stop();
await counter.close();
await transport.close();

const result = {
  command: `npm run bench:soak -- --events ${events}`,
  finishedAt: new Date().toISOString(),
  events,
  handled: end.distinct,
  followUps,
  lost: events - followUps,
  duplicates: end.duplicates,
  followDuplicates,
  seconds,
  warmupEvents,
  rssStart: warm?.rss ?? NaN,
  rssEnd: end.rss,
  rssPeak,
  heapStart: warm?.heap ?? NaN,
  heapEnd: end.heap,
  rssBound,
  rssSeries: rssSeries.filter(Boolean),
  stalled: followUps < events,
};
console.log(
  table([
    ['measure', 'value'],
    ['events published', events],
    ['handled (distinct)', result.handled],
    ['follow-ups received (distinct)', followUps],
    ['lost', result.lost],
    ['handler duplicates / follow-up duplicates', `${result.duplicates} / ${followDuplicates}`],
    ['duration', `${fixed(seconds)} s (${fixed(events / seconds)} events/s)`],
    [`RSS after ${warmupEvents} events`, `${fixed(result.rssStart / 2 ** 20)} MiB`],
    ['RSS at end / peak', `${fixed(result.rssEnd / 2 ** 20)} / ${fixed(rssPeak / 2 ** 20)} MiB`],
    [
      `bound: end <= warm-up + ${fixed(rssBound / 2 ** 20)} MiB`,
      result.rssEnd <= result.rssStart + rssBound ? 'held' : 'EXCEEDED',
    ],
  ]),
);
mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
writeFileSync(values.json, `${JSON.stringify(result, null, 2)}\n`);

// Leave nothing behind: the run's queues, exchange and schema.
const admin = new pg.Pool({ connectionString: values.pg, max: 1 });
await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
await admin.end();
const amqp = await connect(values.amqp);
const channel = await amqp.createChannel();
for (const queue of transport.declared().queues) await channel.deleteQueue(queue).catch(() => undefined);
for (const group of ['soak']) {
  await channel.deleteQueue(`${prefix}.group.${group}`).catch(() => undefined);
  await channel.deleteQueue(`${prefix}.dlq.${group}`).catch(() => undefined);
}
await channel.deleteExchange(`${prefix}.events`).catch(() => undefined);
await amqp.close();
process.exit(result.lost === 0 && !result.stalled ? 0 : 1);
