// Instructions per event of each RabbitMQ consumer, counted by valgrind's callgrind: the
// consumer drains a pre-filled queue of `--small` events and, in a second run, of `--large`
// events and exits; the difference of the two totals divided by the difference of the
// counts is the cost of one event, with start-up, connecting and JIT warm-up cancelled.
// Unlike CPU time this does not move with other work on the machine.
//
//   node bench/peers/rmq-instructions.mjs [--small 2000] [--large 8000] [--only tandem,moleculer]
//
// `tandem structured` is the Tandem consumer on events written in CloudEvents structured mode.
// `tandem http` and `tandem console` are the Tandem consumer with an idle HTTP server, without
// and with the console's API and page mounted: what the console costs an event while nobody looks.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { connect } from 'amqplib';
import { startServer } from '../lib/server-process.mjs';
import { callgrindTotal } from '../lib/callgrind.mjs';
import { fixed, table } from '../lib/stats.mjs';
import { rmqFillers } from './rmq-fill.mjs';

const { values } = parseArgs({
  options: {
    small: { type: 'string', default: '2000' },
    large: { type: 'string', default: '8000' },
    only: { type: 'string' },
  },
});
const small = Number(values.small);
const large = Number(values.large);
const url = process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const run = `bench-ir-${randomBytes(3).toString('hex')}`;
const out = mkdtempSync(join(tmpdir(), 'tandem-callgrind-'));
const script = (path) => fileURLToPath(new URL(path, import.meta.url));
const targets = [
  { name: 'amqplib', fill: 'raw', script: script('./consumers/rmq-raw.mjs') },
  { name: 'amqplib multiple-ack', fill: 'raw', script: script('./consumers/rmq-raw-multi.mjs') },
  { name: 'tandem', fill: 'tandem', script: script('./consumers/rmq-tandem.mjs') },
  // The same consumer reading what Tandem writes with contentMode 'structured' (one JSON body).
  { name: 'tandem structured', fill: 'tandem-structured', script: script('./consumers/rmq-tandem.mjs') },
  { name: 'moleculer', fill: 'moleculer', script: script('./consumers/rmq-moleculer.mjs') },
  { name: 'tandem http', fill: 'tandem', script: script('./consumers/rmq-tandem.mjs'), env: { BENCH_HTTP: 'plain' } },
  {
    name: 'tandem console',
    fill: 'tandem',
    script: script('./consumers/rmq-tandem.mjs'),
    env: { BENCH_HTTP: 'console' },
  },
].filter((t) => (values.only ? values.only.split(',').includes(t.name) : !t.env));

/** Runs the consumer under callgrind until it drained `events`; its total instruction count. */
function counted(target, events, file) {
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    BENCH_EVENTS: String(events),
    BENCH_NAME: `${run}-${target.fill}`,
    BENCH_AMQP_URL: url,
    BENCH_EXIT_WHEN_DRAINED: '1',
    ...target.env,
  };
  return callgrindTotal({ name: target.name, script: target.script, env, file });
}

const connection = await connect(url);
const fillers = rmqFillers(connection, url);
const rows = [];
for (const target of targets) {
  const totals = [];
  // A first start declares the framework's own queues and bindings, so the fills land.
  await (
    await startServer(target.script, {
      env: { BENCH_NAME: `${run}-${target.fill}`, BENCH_AMQP_URL: url, ...target.env },
    })
  ).stop();
  for (const events of [small, large]) {
    await fillers[target.fill](`${run}-${target.fill}`, events);
    totals.push(await counted(target, events, join(out, `${target.name.replace(/\W/g, '-')}-${events}.out`)));
  }
  const perEvent = (totals[1] - totals[0]) / (large - small);
  rows.push({ name: target.name, perEvent });
  console.log(`${target.name}: ${fixed(perEvent)} instructions/event (${totals.join(' / ')} for ${small} / ${large})`);
}
console.log(`\ninstructions per event (callgrind, ${large} - ${small} events), Node ${process.version}`);
console.log(
  table([
    ['consumer', 'instructions/event', '÷ amqplib'],
    ...rows.map((r) => [
      r.name,
      fixed(r.perEvent),
      fixed(r.perEvent / (rows.find((x) => x.name === 'amqplib')?.perEvent ?? NaN), 2),
    ]),
  ]),
);
const channel = await connection.createChannel();
for (const queue of [
  `${run}-raw`,
  `${run}-tandem.group.orders`,
  `${run}-tandem.dlq.orders`,
  `${run}-tandem-structured.group.orders`,
  `${run}-tandem-structured.dlq.orders`,
  `MOL-${run}-moleculer.EVENTB.orders.orders.placed`,
])
  await channel.deleteQueue(queue).catch(() => undefined);
await connection.close().catch(() => undefined);
