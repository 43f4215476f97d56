// Command-line options of `npm run chaos`.
import { parseArgs } from 'node:util';

export const usage = `npm run chaos -- [options]

  --broker amqp|kafka    broker under the services (default amqp; kafka starts a librdkafka mock cluster)
  --orders N             orders placed per run (default 500; --quick 200)
  --concurrency N        orders in flight at once (default 10)
  --lines N              at most N lines (distinct products of 3) per order (default 2)
  --faults LIST          all (default), none, or a comma-separated list of broker-cut, broker-outage[:s],
                         kill[:service], term[:service], pg-terminate, start-order, kafka-commit, kafka-produce
  --quick                200 orders and one fault of each kind (services picked by the seed), 30 s drain
  --seed N               seed of the orders and the fault schedule (default: random, printed)
  --runs N               runs, with seeds N, N+1, ... (default 1)
  --drain S              seconds the events may take to drain after the load (default 60; --quick 30)
  --order-timeout S      seconds the fulfilment saga waits for an order to be placed before it gives back
                         its stock and payment (default 20: past the 10 s an Idempotency-Key stays claimed
                         by an instance that died, so a client's retry still finds its order)
  --recovery-bound S     seconds after a fault within which orders must be accepted again (default 5)
  --budget S             seconds a client keeps retrying one order (default 90: past the 60 s an
                         Idempotency-Key stays claimed by an instance that died)
  --pg URL               PostgreSQL to create the run's database on (default postgres://postgres@127.0.0.1:5432/test)
  --amqp URL             RabbitMQ (default amqp://guest:guest@127.0.0.1:5672)
  --keep-logs            keep the services' logs even when every row is OK
`;

function whole(name, value, min = 1) {
  if (!/^\d+$/.test(value) || Number(value) < min)
    throw new Error(`--${name}: expected a whole number >= ${min}, got '${value}'`);
  return Number(value);
}

export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      broker: { type: 'string', default: 'amqp' },
      orders: { type: 'string' },
      concurrency: { type: 'string', default: '10' },
      lines: { type: 'string', default: '2' },
      faults: { type: 'string', default: 'all' },
      quick: { type: 'boolean', default: false },
      seed: { type: 'string' },
      runs: { type: 'string', default: '1' },
      drain: { type: 'string' },
      'order-timeout': { type: 'string', default: '20' },
      'recovery-bound': { type: 'string', default: '5' },
      budget: { type: 'string', default: '90' },
      pg: { type: 'string', default: process.env.TANDEM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test' },
      amqp: { type: 'string', default: 'amqp://guest:guest@127.0.0.1:5672' },
      'keep-logs': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  // `rabbitmq` is what `npm run example:load` calls it: the same broker.
  const broker = values.broker === 'rabbitmq' ? 'amqp' : values.broker;
  if (broker !== 'amqp' && broker !== 'kafka')
    throw new Error(`--broker: expected amqp (or rabbitmq) or kafka, got '${values.broker}'`);
  return {
    help: values.help,
    broker,
    quick: values.quick,
    orders: whole('orders', values.orders ?? (values.quick ? '200' : '500')),
    concurrency: whole('concurrency', values.concurrency),
    lines: Math.min(3, whole('lines', values.lines)),
    faults: values.faults,
    seed: values.seed === undefined ? Math.floor(Math.random() * 1_000_000) : whole('seed', values.seed, 0),
    runs: whole('runs', values.runs),
    drainMs: whole('drain', values.drain ?? (values.quick ? '30' : '60')) * 1000,
    orderTimeoutMs: whole('order-timeout', values['order-timeout']) * 1000,
    recoveryBoundMs: whole('recovery-bound', values['recovery-bound']) * 1000,
    budgetMs: whole('budget', values.budget) * 1000,
    pg: values.pg,
    amqp: values.amqp,
    keepLogs: values['keep-logs'],
  };
}

/** The command that replays one run. */
export function replayCommand(options, seed) {
  const parts = ['npm run chaos --', `--broker ${options.broker}`];
  if (options.quick) parts.push('--quick');
  else parts.push(`--faults ${options.faults}`);
  parts.push(
    `--orders ${options.orders}`,
    `--concurrency ${options.concurrency}`,
    `--lines ${options.lines}`,
    `--seed ${seed}`,
  );
  return parts.join(' ');
}
