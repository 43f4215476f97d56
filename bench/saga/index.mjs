// bench/saga: what a saga step costs against the same flow as plain event handlers with the
// outbox, in one run on PostgreSQL (flows.mjs says what each flow does). Rounds alternate
// which flow goes first; figures are medians of the rounds, ratios are per round then median.
// Reports steps/s, step latency p50/p99 (published -> committed), CPU µs per step, rows
// written per step (pg_stat_user_tables inserts + updates, per table) and checks the bound
// the saga issue set: at most one extra row write per step.
//
//   npm run bench:saga -- [--rounds 3] [--instances 2000] [--window 200] [--rate 25]
//     [--latency-seconds 4] [--concurrency 16]
//     [--pool 20] [--pg postgres://postgres@127.0.0.1:5432/test] [--store postgres|memory]
//     [--broker memory:// | amqp://guest:guest@127.0.0.1:5672] [--json bench/results/saga.json]
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { brokerFromUrl, memoryStore, silentLogger } from '@tandem/core';
import { postgresStore } from '@tandem/store-postgres';
import { fixed, table } from '../lib/stats.mjs';
import { plainFlow, sagaFlow } from './flows.mjs';
import { runRound } from './round.mjs';
import { perInstanceByTable, summarise } from './summary.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    instances: { type: 'string', default: '2000' },
    window: { type: 'string', default: '200' },
    rate: { type: 'string', default: '25' },
    // One flow alone, for profiling it (node --cpu-prof); no ratios then.
    only: { type: 'string' },
    'latency-seconds': { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '16' },
    pool: { type: 'string', default: '20' },
    store: { type: 'string', default: 'postgres' },
    pg: { type: 'string', default: process.env.TANDEM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
    broker: { type: 'string', default: 'memory://' },
    json: { type: 'string', default: fileURLToPath(new URL('../results/saga.json', import.meta.url)) },
  },
});
const settings = {
  rounds: Number(values.rounds),
  instances: Number(values.instances),
  window: Number(values.window),
  rate: Number(values.rate),
  latencySeconds: Number(values['latency-seconds']),
  concurrency: Number(values.concurrency),
  pool: Number(values.pool),
  store: values.store,
  broker: values.broker.replace(/\/\/[^@/]*@/, '//'),
};
if (!['postgres', 'memory'].includes(settings.store))
  throw new Error(`--store ${settings.store}: expected postgres or memory`);

const runId = randomBytes(3).toString('hex');
const schema = `saga_bench_${runId}`;
const onPg = settings.store === 'postgres';
const admin = onPg ? new pg.Pool({ connectionString: values.pg, max: 1 }) : undefined;
const amqp = values.broker.startsWith('amqp');
const amqpPrefix = `saga-bench-${runId}`;
const amqpTransports = [];

async function broker(label) {
  if (!amqp) return brokerFromUrl(`memory://saga-bench-${runId}-${label}`, '--broker');
  const { RabbitMQTransport } = await import('@tandem/transport-rabbitmq');
  const transport = new RabbitMQTransport({
    url: values.broker,
    prefix: amqpPrefix,
    prefetch: 100,
    logger: silentLogger,
  });
  // Kept for the clean-up: what each round's transport declared (it still says after it closed).
  amqpTransports.push(transport);
  return transport;
}

function store() {
  return onPg
    ? postgresStore({ connectionString: values.pg, schema, max: settings.pool, cleanupIntervalMs: 0 })
    : memoryStore();
}

const results = { saga: [], plain: [] };
try {
  for (let round = 1; round <= settings.rounds; round++) {
    const order = round % 2 === 1 ? ['saga', 'plain'] : ['plain', 'saga'];
    for (const name of order.filter((n) => !values.only || n === values.only)) {
      const prefix = `sb${runId}r${round}.${name}`;
      const flow = name === 'saga' ? sagaFlow(prefix) : plainFlow(prefix, onPg ? schema : undefined);
      const r = await runRound(flow, {
        store,
        broker: () => broker(`${round}-${name}`),
        admin,
        schema,
        runId: `${runId}-${round}`,
        instances: settings.instances,
        window: settings.window,
        rate: settings.rate,
        latencySeconds: settings.latencySeconds,
        concurrency: settings.concurrency,
      });
      if (r.allSteps !== r.expectedSteps)
        process.stderr.write(
          `warning: ${name} round ${round} counted ${r.allSteps} steps, expected ${r.expectedSteps}\n`,
        );
      results[name].push(r);
      process.stderr.write(
        `round ${round} ${name}: ${fixed(r.stepsPerSecond)} steps/s over ${fixed(r.seconds, 1)} s, ` +
          `p50 ${fixed(r.p50, 1)} ms, p99 ${fixed(r.p99, 1)} ms, ${fixed(r.cpuMicrosPerStep)} µs CPU/step, ` +
          `${fixed(r.rowsPerStep, 2)} rows/step, ${r.failedRuns} failed runs` +
          `${r.failedRuns ? ` ${JSON.stringify(r.errors)}` : ''}\n`,
      );
    }
  }
} finally {
  await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await admin?.end();
  if (amqp) await deleteAmqpTopology();
}

const summary = summarise(results);
const { m, ratio, extraRowsPerStep, holds } = summary;
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${availableParallelism()} cores (at the end)`,
);
console.log(
  `saga bench: ${settings.rounds} rounds, medians; per flow and round ${settings.instances} instances (3 steps each) ` +
    `with at most ${settings.window} in flight for steps/s and CPU, then ${settings.rate} instances/s for ` +
    `${settings.latencySeconds} s for latency; concurrency ${settings.concurrency} per group; ` +
    `store ${settings.store}${onPg ? ` (pool ${settings.pool})` : ''}, broker ${settings.broker}`,
);
console.log(
  table([
    ['measure', 'saga', 'plain + outbox', 'saga / plain'],
    ['steps/s', fixed(m.saga.stepsPerSecond), fixed(m.plain.stepsPerSecond), fixed(ratio.stepsPerSecond, 2)],
    [`step latency p50 ms @${settings.rate}/s`, fixed(m.saga.p50, 1), fixed(m.plain.p50, 1), fixed(ratio.p50, 2)],
    [`step latency p99 ms @${settings.rate}/s`, fixed(m.saga.p99, 1), fixed(m.plain.p99, 1), fixed(ratio.p99, 2)],
    ...['start', 'command call', 'reply'].map((label, i) => [
      `  step ${i + 1} (${label}) p50 ms`,
      fixed(m.saga.stepP50[i], 1),
      fixed(m.plain.stepP50[i], 1),
      fixed(m.saga.stepP50[i] / m.plain.stepP50[i], 2),
    ]),
    [
      `flow latency p50 ms @${settings.rate}/s`,
      fixed(m.saga.flowP50, 1),
      fixed(m.plain.flowP50, 1),
      fixed(ratio.flowP50, 2),
    ],
    [
      `flow latency p99 ms @${settings.rate}/s`,
      fixed(m.saga.flowP99, 1),
      fixed(m.plain.flowP99, 1),
      fixed(ratio.flowP99, 2),
    ],
    ['CPU µs/step', fixed(m.saga.cpuMicrosPerStep), fixed(m.plain.cpuMicrosPerStep), fixed(ratio.cpuMicrosPerStep, 2)],
    [
      'SQL statements/step',
      fixed(m.saga.statementsPerStep, 2),
      fixed(m.plain.statementsPerStep, 2),
      fixed(ratio.statementsPerStep, 2),
    ],
    [
      'bytes sent to PostgreSQL/step',
      fixed(m.saga.bytesToPgPerStep),
      fixed(m.plain.bytesToPgPerStep),
      fixed(ratio.bytesToPgPerStep, 2),
    ],
    ['rows written/step', fixed(m.saga.rowsPerStep, 2), fixed(m.plain.rowsPerStep, 2), fixed(ratio.rowsPerStep, 2)],
  ]),
);
if (onPg) {
  console.log('\nrows written per instance (inserts + updates, median of rounds)');
  console.log(table(perInstanceByTable(results)));
  console.log(
    `\nbound: at most one extra row write per step: saga writes ${fixed(extraRowsPerStep, 2)} more per step: ${holds ? 'holds' : 'DOES NOT hold'}`,
  );
} else {
  console.log('\nrows written: not counted on the memory store (run on PostgreSQL for them and the bound)');
}
console.log(`per round: ${JSON.stringify(perRound(results))}`);

mkdirSync(dirname(values.json), { recursive: true });
writeFileSync(
  values.json,
  `${JSON.stringify(
    {
      // Without the broker URL's credentials: this goes into docs/benchmarks.md.
      command: `npm run bench:saga${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`.replace(
        /\/\/[^@/\s]*@/g,
        '//',
      ),
      finishedAt: new Date().toISOString(),
      node: process.version,
      loadavg: loadavg().map((l) => Number(l.toFixed(1))),
      settings,
      medians: m,
      ratios: ratio,
      extraRowsPerStep,
      bound: onPg ? (holds ? 'holds' : 'does not hold') : 'not measured',
      rowsPerInstance: onPg ? perInstanceByTable(results) : undefined,
      rounds: results,
    },
    null,
    2,
  )}\n`,
);
process.stderr.write(`wrote ${values.json}\n`);

function perRound(all) {
  const pick = (r) => ({
    sps: Math.round(r.stepsPerSecond),
    p99: Number(r.p99.toFixed(1)),
    cpu: Math.round(r.cpuMicrosPerStep),
  });
  return { saga: all.saga.map(pick), plain: all.plain.map(pick) };
}

async function deleteAmqpTopology() {
  const { connect } = await import('amqplib');
  const connection = await connect(values.broker);
  const channel = await connection.createChannel();
  const queues = new Set(amqpTransports.flatMap((t) => t.declared().queues));
  const exchanges = new Set(amqpTransports.flatMap((t) => t.declared().exchanges));
  for (const q of queues) await channel.deleteQueue(q);
  for (const e of exchanges) await channel.deleteExchange(e);
  await connection.close();
  process.stderr.write(`deleted ${queues.size} queues and ${exchanges.size} exchanges (${amqpPrefix}.*)\n`);
}
