// bench/outbox: events/s from commit to broker confirm through the outbox relay, against
// publishing the same batches straight to the broker, in one run on PostgreSQL; then the
// commit -> broker-confirm latency through the relay (LISTEN/NOTIFY wake-up) at a steady rate.
// "relay drain" is the relay's own capacity (a committed backlog to confirmed); "commit" is
// how fast the writers commit outbox rows with no relay; "live" is both at once, first
// commit to last confirm, which is bounded by the slower of the two.
// Several rounds, medians. Targets: relay >= 5,000 events/s, latency p99 <= 50 ms.
//
//   npx tsc -b packages/store-postgres/tsconfig.build.json && node bench/outbox.mjs \
//     [--rounds 3] [--events 20000] [--writers 8] [--per-tx 10] [--rate 300,1000] [--seconds 5] \
//     [--broker memory://] [--pg postgres://postgres@127.0.0.1:5432/test]
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { z } from 'zod';
import { brokerFromUrl, defineEvent, encodeEvent, outboxRelay } from '@tandem/core';
import { postgresStore } from '@tandem/store-postgres';
import { fixed, median, percentile, table } from './lib/stats.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    events: { type: 'string', default: '20000' },
    writers: { type: 'string', default: '8' },
    'per-tx': { type: 'string', default: '10' },
    rate: { type: 'string', default: '300,1000' },
    seconds: { type: 'string', default: '5' },
    broker: { type: 'string', default: 'memory://bench-outbox' },
    pg: { type: 'string', default: process.env.TANDEM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
  },
});
const rounds = Number(values.rounds);
const total = Number(values.events);
const writers = Number(values.writers);
const perTx = Number(values['per-tx']);
const rates = values.rate.split(',').map(Number);
const seconds = Number(values.seconds);

const Tick = defineEvent('bench.ticked', { data: z.object({ n: z.number(), pad: z.string() }) });
const pad = 'x'.repeat(200);
const event = (n) => encodeEvent(Tick, { n, pad }, { source: 'bench', key: `key-${n % 1000}` });

const schema = `bench_${randomBytes(4).toString('hex')}`;
const admin = new pg.Pool({ connectionString: values.pg, max: 2 });
const store = postgresStore({ connectionString: values.pg, schema, max: writers + 2, cleanupIntervalMs: 0 });
await store.connect();
const broker = await brokerFromUrl(values.broker, '--broker');
await broker.connect();
// A consumer group on the topic, so the broker routes and (where it can) stores every event.
const subscription = await broker.subscribe(
  { topics: [Tick.topic], group: 'bench-sink', concurrency: 64 },
  async () => ({ kind: 'ack' }),
);
await subscription.ready;

/** `writers` concurrent loops, each doing `perTx` events per step until `total` are done. */
async function drive(step) {
  let next = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < total) {
        const start = next;
        next += perTx;
        const batch = [];
        for (let n = start; n < Math.min(start + perTx, total); n++) batch.push(event(n));
        await step(batch);
      }
    }),
  );
}

async function direct() {
  const began = performance.now();
  await drive((batch) => broker.publish(batch));
  return total / ((performance.now() - began) / 1000);
}

/** Relay running while the writers commit: first commit to last broker confirm. */
async function live() {
  let published = 0;
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  const relay = outboxRelay(store.outbox, broker, {
    batchSize: 500,
    onPublished: (records) => {
      published += records.length;
      if (published >= total) done();
    },
  });
  await relay.start();
  const began = performance.now();
  await drive((batch) => store.transaction((tx) => store.outbox.append(tx, batch)));
  await finished;
  const eps = total / ((performance.now() - began) / 1000);
  await relay.stop();
  return eps;
}

/** The writers commit a backlog with no relay running (commit rate), then the relay drains it (relay capacity). */
async function backlog() {
  const began = performance.now();
  await drive((batch) => store.transaction((tx) => store.outbox.append(tx, batch)));
  const commitEps = total / ((performance.now() - began) / 1000);
  let published = 0;
  let done;
  const finished = new Promise((resolve) => (done = resolve));
  const relay = outboxRelay(store.outbox, broker, {
    batchSize: 500,
    onPublished: (records) => {
      published += records.length;
      if (published >= total) done();
    },
  });
  const start = performance.now();
  await relay.start();
  await finished;
  const drainEps = total / ((performance.now() - start) / 1000);
  await relay.stop();
  return { commitEps, drainEps };
}

/** One event per transaction at a steady `rate`; latency from commit to the broker's confirm. */
async function latency(rate) {
  // Event-loop delay of this process in the same window: what the host's CPU contention adds.
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const committedAt = new Map();
  const confirmedAt = new Map();
  const relay = outboxRelay(store.outbox, broker, {
    pollIntervalMs: 1_000,
    // Sampled at the broker's confirm, before the relay marks the rows.
    afterConfirm: (records) => {
      const now = performance.now();
      for (const r of records) {
        confirmedAt.set(r.message.headers['ce-id'], now);
      }
    },
  });
  await relay.start();
  const count = rate * seconds;
  const began = performance.now();
  const inFlight = [];
  for (let n = 0; n < count; n++) {
    const due = began + (n * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const message = event(n);
    inFlight.push(
      store
        .transaction((tx) => store.outbox.append(tx, [message]))
        .then(() => committedAt.set(message.headers['ce-id'], performance.now())),
    );
  }
  await Promise.all(inFlight);
  const deadline = performance.now() + 10_000;
  while (confirmedAt.size < count && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  // The relay can see the commit before this process has handled the COMMIT reply: that counts as 0 ms.
  const samples = [...committedAt].map(([id, at]) => Math.max(0, (confirmedAt.get(id) ?? Infinity) - at));
  await relay.stop();
  loop.disable();
  return {
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    max: Math.max(...samples),
    n: samples.length,
    loopP99: loop.percentile(99) / 1e6,
  };
}

const rows = [
  [
    'round',
    'direct ev/s',
    'relay drain ev/s',
    'drain/direct',
    'commit ev/s',
    'live ev/s',
    ...rates.flatMap((r) => [`p50@${r}/s ms`, `p99@${r}/s ms`]),
  ],
];
const results = [];
try {
  for (let round = 1; round <= rounds; round++) {
    const d = await direct();
    const b = await backlog();
    const v = await live();
    const l = [];
    for (const rate of rates) l.push(await latency(rate));
    await admin.query(`TRUNCATE "${schema}".tandem_outbox`);
    results.push({ d, b, v, l });
    rows.push([
      round,
      fixed(d),
      fixed(b.drainEps),
      fixed(b.drainEps / d, 3),
      fixed(b.commitEps),
      fixed(v),
      ...l.flatMap((x) => [fixed(x.p50, 1), fixed(x.p99, 1)]),
    ]);
    console.log(
      `round ${round}: direct ${fixed(d)} ev/s, relay drain ${fixed(b.drainEps)} ev/s, live ${fixed(v)} ev/s, ` +
        l
          .map(
            (x, i) =>
              `p99@${rates[i]}/s ${fixed(x.p99, 1)} ms (${x.n} samples, event-loop delay p99 ${fixed(x.loopP99, 1)} ms)`,
          )
          .join(', '),
    );
  }
  const med = (f) => median(results.map(f));
  rows.push([
    'median',
    fixed(med((x) => x.d)),
    fixed(med((x) => x.b.drainEps)),
    fixed(
      med((x) => x.b.drainEps / x.d),
      3,
    ),
    fixed(med((x) => x.b.commitEps)),
    fixed(med((x) => x.v)),
    ...rates.flatMap((_, i) => [
      fixed(
        med((x) => x.l[i].p50),
        1,
      ),
      fixed(
        med((x) => x.l[i].p99),
        1,
      ),
    ]),
  ]);
  console.log(
    `\noutbox relay on PostgreSQL, broker ${broker.name}; ${total} events, ${writers} writers, ${perTx} events/tx; latency at ${rates.join(' and ')} ev/s (one event per transaction) for ${seconds} s\n`,
  );
  console.log(table(rows));
  console.log(
    `\ntargets: relay >= 5000 ev/s: ${med((x) => x.b.drainEps) >= 5000 ? 'met' : 'NOT met'}; p99 <= 50 ms: ${rates.map((r, i) => `@${r}/s ${med((x) => x.l[i].p99) <= 50 ? 'met' : 'NOT met'}`).join(', ')}`,
  );
} finally {
  await subscription.close();
  await broker.close();
  await store.close();
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin.end();
}
