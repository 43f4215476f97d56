// The broker of a run: RabbitMQ behind the run's own TCP proxy, or a librdkafka mock
// cluster started for the run. Both offer the same faults (connection cut, outage) and
// a dead-letter count per consumer group read from the broker itself.
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import kafkajs from 'kafkajs';
import { DEFAULT_DELAY_LEVELS_MS, defaultNames } from '@tandem/transport-rabbitmq';
import { startMockKafka } from '../../../../packages/transport-kafka/dev-broker/launch.mjs';
import { startProxy } from './proxy.mjs';
import { acquireSharedBroker } from './rabbit-lock.mjs';

/** The shop's event topics; the Kafka mock cluster has no CreateTopics, so they are made up front. */
export const SHOP_TOPICS = [
  'orders.placed',
  'orders.cancelled',
  'orders.refunded',
  'inventory.reserved',
  'payments.authorized',
  'payments.failed',
  'shipping.scheduled',
  'shipping.failed',
  // The fulfilment saga's replies and timeouts, and its commands.
  'tandem.saga.orders.fulfilment',
  'tandem.saga.orders.fulfilment.commands',
];

/**
 * @param {{ url: string, groups: string[], label?: string, proxy?: boolean }} options
 *   url: amqp://user:pass@host:port of the shared RabbitMQ; label: the queue prefix's start;
 *   proxy: false connects the services straight to RabbitMQ (no faults: cut, down and up throw),
 *   as the load does, which measures the broker rather than a proxy in the caller's process
 */
export async function startRabbitBroker({ url, groups, label = 'chaos', proxy: proxied = true }) {
  const release = await acquireSharedBroker();
  const real = new URL(url);
  const prefix = `${label}-${randomBytes(4).toString('hex')}`;
  const proxy = proxied ? await startProxy({ host: real.hostname, port: Number(real.port || 5672) }) : noProxy();
  const viaProxy = new URL(url);
  if (proxied) {
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
  }
  viaProxy.searchParams.set('prefix', prefix);
  const names = defaultNames(prefix);
  const onQueues = async (fn) => {
    const connection = await amqp.connect(url);
    try {
      return await fn(connection);
    } finally {
      await connection.close().catch(() => undefined);
    }
  };
  return {
    kind: 'amqp',
    serviceUrl: viaProxy.href,
    describe: `RabbitMQ ${real.host}${proxied ? ` through a proxy on :${proxy.port}` : ''}, prefix ${prefix}`,
    cut: async () => `${proxy.cut()} connection(s) cut`,
    down: () => proxy.down(),
    up: () => proxy.up(),
    async deadLetters() {
      return onQueues(async (connection) => {
        const counts = {};
        for (const group of groups) {
          // A missing queue closes the channel it was checked on: one channel per check.
          const channel = await connection.createChannel();
          channel.on('error', () => undefined);
          counts[group] = await channel.checkQueue(names.deadLetterQueue(group)).then(
            (q) => q.messageCount,
            () => 0,
          );
          await channel.close().catch(() => undefined);
        }
        return counts;
      });
    },
    async close() {
      await proxy.close();
      try {
        await onQueues(async (connection) => {
          const channel = await connection.createChannel();
          for (const group of groups) {
            await channel.deleteQueue(names.groupQueue(group));
            await channel.deleteQueue(names.deadLetterQueue(group));
            for (const level of DEFAULT_DELAY_LEVELS_MS) await channel.deleteQueue(names.delayQueue(group, level));
          }
          await channel.deleteExchange(names.exchange);
        });
      } finally {
        release();
      }
    },
  };
}

/** What stands in for the proxy when the services connect straight to RabbitMQ: no faults to inject. */
function noProxy() {
  const refuse = () => {
    throw new Error('this broker was started without a proxy: no faults');
  };
  return { port: undefined, cut: refuse, down: refuse, up: refuse, close: async () => undefined };
}

/** @param {{ groups: string[] }} options */
export async function startKafkaBroker({ groups }) {
  const broker = await startMockKafka({ topics: SHOP_TOPICS.map((t) => `${t}:3`) });
  const bootstrap = broker.bootstrap.split(',')[0];
  const kafka = new kafkajs.Kafka({
    brokers: [bootstrap],
    clientId: 'tandem-chaos',
    logLevel: kafkajs.logLevel.NOTHING,
  });
  return {
    kind: 'kafka',
    pid: broker.pid,
    serviceUrl: `kafka://${bootstrap}?createTopics=false&idempotent=false&sessionTimeoutMs=6000&heartbeatIntervalMs=500`,
    describe: `librdkafka mock cluster ${bootstrap} (pid ${broker.pid})`,
    cut: async () => {
      await broker.brokerDown(-1);
      await broker.brokerUp(-1);
      return 'every connection to the broker dropped';
    },
    down: () => broker.brokerDown(-1),
    up: () => broker.brokerUp(-1),
    failNextRequests: (apiKey, codes) => broker.failNextRequests(apiKey, codes),
    async deadLetters() {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const existing = new Set(await admin.listTopics());
        const counts = {};
        for (const group of groups) {
          const topic = `${group}.dlq`;
          if (!existing.has(topic)) {
            counts[group] = 0;
            continue;
          }
          const offsets = await admin.fetchTopicOffsets(topic);
          counts[group] = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
        }
        return counts;
      } finally {
        await admin.disconnect();
      }
    },
    async close() {
      await broker.stop();
    },
  };
}
