/**
 * The load's command line. Two modes: the stepped search for the highest sustainable rate
 * (the default), and `--orders N`, which places N orders at a fixed concurrency as the
 * load always did.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '@tandem/core';

export type BrokerChoice = 'memory' | 'rabbitmq' | 'kafka';

export interface LatencyBounds {
  /** p99 of the synchronous `orders.place`, client-measured from the order's scheduled send. */
  placeP99Ms: number;
  /** p99 from the accept answer until the order reads `shipped`. */
  shippedP99Ms: number;
}

export interface SteppedOptions {
  /** The first rate, orders/s; each passing step doubles it up to maxRate, then failing steps are bisected. */
  startRate: number;
  maxRate: number;
  stepSeconds: number;
  /** A step lasts long enough for this many orders, so its p99 is not simply its slowest order. */
  minOrders: number;
  /** How many bisection steps between the last passing and the first failing rate. */
  bisect: number;
  bounds: LatencyBounds;
  /** How long a step may wait for its orders to ship after its last arrival. */
  drainSeconds: number;
  /** Orders per step whose traces make the breakdown. */
  traceSample: number;
  /** Seconds of load at the start rate before the first step, not counted (JIT, pools, connections). */
  warmupSeconds: number;
}

export interface LoadOptions {
  broker: BrokerChoice;
  /** A running shop's base URL: drive it over HTTP only (no process CPU, traces from its console if it has one). */
  url: string | undefined;
  /** Fixed mode: this many orders at `concurrency`; undefined for the stepped search. */
  orders: number | undefined;
  concurrency: number;
  stepped: SteppedOptions;
  /** Where to write the report as JSON as well. */
  json: string | undefined;
  amqpUrl: string;
  /** Query parameters added to the services' TANDEM_BROKER_URL (e.g. `maxWaitTimeMs=50`), to try a transport setting. */
  brokerParams: string | undefined;
  /** A PostgreSQL database to connect to for CREATE/DROP DATABASE of the run's own. */
  pgUrl: string;
  help: boolean;
}

export const usage = `npm run example:load -- [options]

stepped search (default): orders arrive at a fixed rate (open loop); the rate doubles while
orders.place keeps p99 < --place-p99 and accepted -> shipped p99 < --shipped-p99, then the
first failing step is bisected.
  --broker memory|rabbitmq|kafka   memory (default): the shop in this process on the embedded
                                   defaults; rabbitmq, kafka: five processes on PostgreSQL
  --url URL                        drive a running shop instead (shipped is polled over HTTP)
  --start-rate N    (25)           --max-rate N  (3200)      --step-seconds S (5)
  --bisect N        (3)            --drain-seconds S (30)    --warmup-seconds S (2)
  --min-orders N    (100)          a step lasts at least this many orders (p99 of fewer is the slowest)
  --place-p99 MS    (200)          --shipped-p99 MS (1000)   --trace-sample N (50)
  --json FILE                      also write the report as JSON
fixed run (as before): --orders N [--concurrency C (20)]
  --broker-params Q                added to the services' broker URL, e.g. maxWaitTimeMs=50
  --amqp URL        (amqp://guest:guest@127.0.0.1:5672)
  --pg URL          (postgres://postgres@127.0.0.1:5432/test): the run makes a database of its own`;

function positive(name: string, raw: string, integer = true): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || (integer && !Number.isInteger(value)))
    throw new ConfigError(`--${name}: expected a ${integer ? 'whole ' : ''}number >= 0, got '${raw}'`);
  return value;
}

export function parseLoadOptions(argv: string[]): LoadOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      broker: { type: 'string', default: 'memory' },
      url: { type: 'string' },
      orders: { type: 'string' },
      concurrency: { type: 'string', default: '20' },
      'start-rate': { type: 'string', default: '25' },
      'max-rate': { type: 'string', default: '3200' },
      'step-seconds': { type: 'string', default: '5' },
      'min-orders': { type: 'string', default: '100' },
      bisect: { type: 'string', default: '3' },
      'drain-seconds': { type: 'string', default: '30' },
      'warmup-seconds': { type: 'string', default: '2' },
      'place-p99': { type: 'string', default: '200' },
      'shipped-p99': { type: 'string', default: '1000' },
      'trace-sample': { type: 'string', default: '50' },
      json: { type: 'string' },
      amqp: { type: 'string', default: 'amqp://guest:guest@127.0.0.1:5672' },
      'broker-params': { type: 'string' },
      pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
      help: { type: 'boolean', default: false },
    },
  });
  // `amqp` is what `npm run chaos` calls it: the same broker.
  const broker = (values.broker === 'amqp' ? 'rabbitmq' : values.broker) as BrokerChoice;
  if (!['memory', 'rabbitmq', 'kafka'].includes(broker))
    throw new ConfigError(`--broker: expected memory, rabbitmq (or amqp) or kafka, got '${values.broker}'`);
  if (values.url !== undefined && broker !== 'memory')
    throw new ConfigError('--url drives a running shop: it takes no --broker');
  const startRate = positive('start-rate', values['start-rate'], false);
  const maxRate = positive('max-rate', values['max-rate'], false);
  if (startRate <= 0 || maxRate < startRate)
    throw new ConfigError(`--start-rate must be above 0 and at most --max-rate (${startRate}, ${maxRate})`);
  return {
    broker,
    url: values.url,
    orders: values.orders === undefined ? undefined : positive('orders', values.orders),
    concurrency: Math.max(1, positive('concurrency', values.concurrency)),
    stepped: {
      startRate,
      maxRate,
      stepSeconds: Math.max(0.5, positive('step-seconds', values['step-seconds'], false)),
      minOrders: positive('min-orders', values['min-orders']),
      bisect: positive('bisect', values.bisect),
      bounds: {
        placeP99Ms: positive('place-p99', values['place-p99'], false),
        shippedP99Ms: positive('shipped-p99', values['shipped-p99'], false),
      },
      drainSeconds: positive('drain-seconds', values['drain-seconds'], false),
      traceSample: positive('trace-sample', values['trace-sample']),
      warmupSeconds: positive('warmup-seconds', values['warmup-seconds'], false),
    },
    json: values.json,
    amqpUrl: values.amqp,
    brokerParams: values['broker-params'],
    pgUrl: values.pg,
    help: values.help,
  };
}
