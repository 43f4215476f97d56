/**
 * A broker outage while the transport replaces or closes a consumer. After a retriable
 * crash kafkajs restarts a consumer by itself, and stopping it while that restart connects
 * or joins stops nothing: the start goes on, and a consumer whose start then fails is
 * restarted again. The fault run found it (seed 40: two outages, a commit refused in
 * between, the consumer replaced while kafkajs restarted it): the old consumer came back
 * once the broker did and held partitions whose records nobody handled, for good, while
 * health said ready. A consumer the transport replaced or closed must leave the group and
 * stay out of it.
 *
 * The client retries as kafkajs does by default, only faster (100 ms to 1 s, 10 retries),
 * so that a restart spends seconds connecting while the broker is down, as it does in a
 * service; its log says where kafkajs is.
 */
import { createLogger, type Logger } from '@tandem/core';
import { conformanceMessage, eventually, sleep, uniqueName } from '@tandem/core/testing';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import type { MockKafka } from '../dev-broker/launch.mjs';
import { kafkaLogCreator } from '../src/log.js';
import { KafkaTransport, type KafkaTransportOptions } from '../src/index.js';
import { mockSettings, mockTransport, startBroker } from './support.js';

const broker = await startBroker();
afterAll(() => broker?.stop());

const OFFSET_COMMIT = 8;
const REBALANCE_IN_PROGRESS = 27;

/** A transport whose log lines (its own and kafkajs's, info and above) are kept in `lines`, with the seconds since it was made. */
function loggedTransport(mock: MockKafka, lines: string[], options: Partial<KafkaTransportOptions> = {}) {
  const t0 = Date.now();
  const logger: Logger = createLogger({
    level: 'info',
    write: (line) => {
      const { msg, kafkajs } = JSON.parse(line) as { msg: string; kafkajs?: string };
      const at = ((Date.now() - t0) / 1000).toFixed(1);
      if (kafkajs !== 'Connection' && kafkajs !== 'BrokerPool')
        lines.push(`${at} ${kafkajs ? `${kafkajs}: ` : ''}${msg}`);
    },
  });
  const client = new Kafka({
    brokers: mock.bootstrap.split(','),
    clientId: 'tandem-outage',
    logLevel: logLevel.INFO,
    logCreator: kafkaLogCreator(logger),
    retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 10 },
  });
  return new KafkaTransport({ ...mockSettings, ...options, logger, client });
}

function since(lines: string[], from: number, pattern: RegExp): boolean {
  return lines.slice(from).some((l) => pattern.test(l));
}

/** Publishes through a transport of its own, trying again while the broker is still coming back. */
async function publish(transport: KafkaTransport, messages: ReturnType<typeof conformanceMessage>[]): Promise<void> {
  await eventually(
    'the broker takes the messages',
    () =>
      transport.publish(messages).then(
        () => true,
        () => false,
      ),
    15_000,
    200,
  );
}

describe.skipIf(!broker)('broker outage while a consumer is replaced or closed', () => {
  it(
    'a consumer replaced while kafkajs restarts it does not come back: every message is handled once the broker is',
    { timeout: 60_000 },
    async () => {
      const topic = uniqueName('outage-replace.orders');
      await broker!.createTopic(`${topic}:3`);
      const lines: string[] = [];
      // The refused commit's rejoin wait (two heartbeats, 8.2 s) outlasts the crash (about 6 s
      // into the outage) and ends while kafkajs's restart is connecting.
      const transport = loggedTransport(broker!, lines, { heartbeatIntervalMs: 4_000 });
      const { transport: publisher } = mockTransport(broker!);
      await Promise.all([transport.connect(), publisher.connect()]);
      const handled = new Set<string>();
      const health: boolean[] = [];
      const watch = setInterval(() => health.push(transport.health().ok), 20);
      try {
        const subscription = await transport.subscribe(
          { topics: [topic], group: uniqueName('g-outage-replace'), concurrency: 4 },
          async (m) => (handled.add(m.id), { kind: 'ack' }),
        );
        await subscription.ready;
        const sent = Array.from({ length: 90 }, (_, n) => conformanceMessage(topic, { n }, { key: `k-${n}` }));
        await publisher.publish(sent.slice(0, 30));
        await eventually('the first 30', () => handled.size >= 30, 15_000);

        await broker!.failNextRequests(OFFSET_COMMIT, [REBALANCE_IN_PROGRESS]);
        await publisher.publish(sent.slice(30, 40)); // their commit is the one refused
        await eventually('the refused commit', () => since(lines, 0, /offset commit refused because/), 10_000, 5);
        await broker!.brokerDown();
        const down = lines.length;
        await eventually('the replacement', () => since(lines, down, /replacing the consumer/), 15_000, 5);
        const restarting = since(lines, down, /kafkajs restarts it/);
        expect(restarting, `replaced before kafkajs restarted the consumer; log:\n${lines.join('\n')}`).toBe(true);
        await sleep(1_000);
        await broker!.brokerUp();
        await publish(publisher, sent.slice(40));

        const ids = sent.map((m) => m.headers['ce-id']!);
        const all = () => ids.every((id) => handled.has(id));
        const settled = await eventually('every message handled', all, 25_000).then(
          () => true,
          () => false,
        );
        if (process.env.OUTAGE_LOG) console.log(lines.join('\n'));
        expect(
          settled,
          `${ids.filter((id) => !handled.has(id)).length} of 90 never handled, health ${JSON.stringify(transport.health())}; log:\n${lines.join('\n')}`,
        ).toBe(true);
        await eventually('ready again', () => transport.health().ok, 10_000);
        expect(health).toContain(false);
      } finally {
        clearInterval(watch);
        await Promise.all([transport.close(), publisher.close()]);
      }
    },
  );

  it(
    'a subscription closed while kafkajs restarts its consumer leaves the group for good: the next member gets every partition',
    { timeout: 60_000 },
    async () => {
      const topic = uniqueName('outage-close.orders');
      const group = uniqueName('g-outage-close');
      await broker!.createTopic(`${topic}:3`);
      const lines: string[] = [];
      const first = loggedTransport(broker!, lines);
      const { transport: next } = mockTransport(broker!);
      await first.connect();
      const firstSubscription = await first.subscribe({ topics: [topic], group, concurrency: 4 }, async () => ({
        kind: 'ack',
      }));
      await firstSubscription.ready;

      await broker!.brokerDown();
      const down = lines.length;
      // kafkajs gives up fetching, restarts the consumer, and the restart connects (for seconds, the broker being down).
      await eventually('kafkajs restarts the consumer', () => since(lines, down, /Restarting the consumer/), 20_000, 5);
      const restarted = lines.length;
      await eventually('the restart connecting', () => since(lines, restarted, /Consumer: Starting/), 10_000, 5);
      await sleep(300);
      await firstSubscription.close();
      await broker!.brokerUp();

      await next.connect();
      const handled = new Set<string>();
      try {
        const subscription = await next.subscribe({ topics: [topic], group, concurrency: 4 }, async (m) => {
          handled.add(m.id);
          return { kind: 'ack' };
        });
        await subscription.ready;
        const sent = Array.from({ length: 30 }, (_, n) => conformanceMessage(topic, { n }, { key: `k-${n}` }));
        await next.publish(sent);
        const settled = await eventually(
          'every message handled by the next member',
          () => handled.size >= 30,
          20_000,
        ).then(
          () => true,
          () => false,
        );
        expect(settled, `${30 - handled.size} of 30 never handled; log of the closed one:\n${lines.join('\n')}`).toBe(
          true,
        );
      } finally {
        await Promise.all([first.close(), next.close()]);
      }
    },
  );
});
