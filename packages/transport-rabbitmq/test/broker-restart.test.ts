/**
 * Connection loss while 10,000 events flow: first RabbitMQ closes every connection of the
 * test's vhost (`rabbitmqctl close_all_connections`), later the whole node stops and
 * starts again (`stop_app` / `start_app`). The transport must reconnect, re-declare, re-
 * attach its consumer and either confirm or reject each publish; the publisher republishes
 * what was rejected. Afterwards every event was handled at least once.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, sleep, conformanceMessage } from '@tandem/core/testing';
import { createLogger, Header, type OutgoingMessage } from '@tandem/core';
import type { RabbitMQTransport } from '../src/index.js';
import { exclusiveBrokerUse } from './support/broker-lock.js';
import { RABBITMQ_URL, rabbitAvailable, transportFactory } from './support/rabbitmq.js';
import { createVhost, deleteVhost, rabbitmqctl, rabbitmqctlAvailable } from './support/rabbitmqctl.js';
import { serviceAvailable } from '@tandem/core/testing';

const TOTAL = 10_000;
const BATCH = 50;
const PREFETCH = 100;

const available =
  (await rabbitAvailable()) && (await serviceAvailable('rabbitmqctl (local RabbitMQ node)', rabbitmqctlAvailable));
const vhost = `tandem-fault-${randomBytes(4).toString('hex')}`;
const url = new URL(RABBITMQ_URL);
url.pathname = `/${encodeURIComponent(vhost)}`;
const transports = transportFactory({
  url: url.toString(),
  prefetch: PREFETCH,
  reconnect: { initialDelayMs: 100, maxDelayMs: 1_000 },
  publishTimeoutMs: 5_000,
});

describe.skipIf(!available)('rabbitmq connection loss and broker restart', () => {
  let brokerStopped = false;
  exclusiveBrokerUse();

  beforeAll(async () => {
    await createVhost(vhost);
  });

  afterAll(async () => {
    // Whatever happened, leave the node running for the suites after this one.
    if (brokerStopped) await rabbitmqctl('start_app');
    await transports.cleanUp(url.toString()).catch(() => undefined);
    await deleteVhost(vhost);
  });

  async function publishUntilConfirmed(
    publisher: RabbitMQTransport,
    batch: OutgoingMessage[],
    failures: { count: number },
  ): Promise<void> {
    for (;;) {
      try {
        await publisher.publish(batch);
        return;
      } catch {
        // Rejected (channel lost before the confirm, timeout): send again; duplicates are allowed.
        failures.count++;
        await sleep(100);
      }
    }
  }

  it(
    'handles every one of 10,000 events at least once across a forced disconnect and a broker restart',
    { timeout: 180_000 },
    async () => {
      const topic = `fault.events.${randomBytes(3).toString('hex')}`;
      // The transports' own log lines tell how often each lost its connection.
      const logLines = { consumer: [] as string[], publisher: [] as string[] };
      const consumer = transports.create({
        logger: createLogger({ level: 'warn', write: (line) => logLines.consumer.push(line) }),
      });
      const publisher = transports.create({
        logger: createLogger({ level: 'warn', write: (line) => logLines.publisher.push(line) }),
      });
      const lost = (lines: string[]) => lines.filter((line) => line.includes('rabbitmq connection lost')).length;
      await consumer.connect();
      await publisher.connect();
      const handled = new Map<string, number>();
      let calls = 0;
      const subscription = await consumer.subscribe({ topics: [topic], group: 'fault', concurrency: 16 }, async (m) => {
        calls++;
        handled.set(m.id, (handled.get(m.id) ?? 0) + 1);
        return { kind: 'ack' };
      });
      await subscription.ready;

      const ids: string[] = [];
      const failures = { count: 0 };
      const healthDuringOutage: boolean[] = [];
      const faults = (async () => {
        await eventually('2,000 confirmed', () => ids.length >= 2_000, 60_000, 5);
        await rabbitmqctl('close_all_connections', '--vhost', vhost, 'test');
        await eventually('5,000 confirmed', () => ids.length >= 5_000, 60_000, 5);
        brokerStopped = true;
        try {
          await rabbitmqctl('stop_app');
          await eventually(
            'both transports see the outage',
            () => !consumer.health().ok && !publisher.health().ok,
            5_000,
          );
          healthDuringOutage.push(consumer.health().ok, publisher.health().ok);
          await sleep(1_000);
        } finally {
          await rabbitmqctl('start_app');
          brokerStopped = false;
        }
      })();

      for (let n = 0; n < TOTAL; n += BATCH) {
        const batch = Array.from({ length: BATCH }, (_, i) =>
          conformanceMessage(topic, { n: n + i }, { key: `k${(n + i) % 64}` }),
        );
        await publishUntilConfirmed(publisher, batch, failures);
        ids.push(...batch.map((m) => m.headers[Header.id]!));
        // Paced to ~2,500 events/s so that both faults hit while events are flowing.
        await sleep(20);
      }
      await faults;
      await eventually('every event handled', () => ids.every((id) => handled.has(id)), 90_000, 100);

      const unique = ids.filter((id) => handled.has(id)).length;
      const redelivered = calls - handled.size;
      console.info(
        `[broker-restart] published ${TOTAL}, handled ${unique} distinct, ${calls} handler calls, ${redelivered} redelivered or republished, ${failures.count} publish attempts rejected and retried; connection losses: consumer ${lost(logLines.consumer)}, publisher ${lost(logLines.publisher)}`,
      );
      expect(unique).toBe(TOTAL);
      // Duplicates come only from messages unacked or unconfirmed at a fault: at most the
      // prefetch window plus one publish batch per fault (two faults).
      expect(redelivered).toBeLessThanOrEqual(2 * (PREFETCH + BATCH));
      expect(healthDuringOutage).toEqual([false, false]);
      // Both faults reached both connections: one loss each for close_all_connections and stop_app.
      expect(lost(logLines.consumer)).toBeGreaterThanOrEqual(2);
      expect(lost(logLines.publisher)).toBeGreaterThanOrEqual(2);
      await eventually('healthy again', () => consumer.health().ok && publisher.health().ok);
    },
  );
});
