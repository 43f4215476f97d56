/**
 * With quorum queues, a retry waits in a delay queue and RabbitMQ dead-letters it back to
 * the group's queue when its TTL expires. RabbitMQ's default for that hand-over is
 * at-most-once: if the group queue cannot take the message at that moment, it is dropped.
 * Tandem declares its quorum delay queues at-least-once (`x-dead-letter-strategy`, which
 * needs `x-overflow: reject-publish`). Runs in a vhost of its own, since it deletes a
 * group's queue, sets a policy and closes connections.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Channel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceMessage, eventually, serviceAvailable, uniqueName } from '@tandem/core/testing';
import { createLogger, type Disposition, type IncomingMessage } from '@tandem/core';
import { sharedBrokerUse } from './support/broker-lock.js';
import { RABBITMQ_URL, rabbitAvailable, transportFactory } from './support/rabbitmq.js';
import { createVhost, deleteVhost, rabbitmqctl, rabbitmqctlAvailable } from './support/rabbitmqctl.js';

const available =
  (await rabbitAvailable()) && (await serviceAvailable('rabbitmqctl (local RabbitMQ node)', rabbitmqctlAvailable));
const vhost = `tandem-dlx-${randomBytes(4).toString('hex')}`;
const url = new URL(RABBITMQ_URL);
url.pathname = `/${encodeURIComponent(vhost)}`;
const DELAY_MS = 1_000;
const transports = transportFactory({ url: url.toString(), queueType: 'quorum', delayLevelsMs: [DELAY_MS] });

/** A handler that asks for one retry, then acks; it remembers the attempts it saw. */
function retryOnce(attempts: number[]) {
  return async (m: IncomingMessage): Promise<Disposition> => {
    attempts.push(m.attempt);
    return m.attempt === 1 ? { kind: 'retry', delayMs: DELAY_MS, attempt: 2 } : { kind: 'ack' };
  };
}

async function withChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T> {
  const connection = await connect(url.toString());
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    return await work(channel);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

const messagesIn = (queue: string) => withChannel(async (c) => (await c.checkQueue(queue)).messageCount);

describe.skipIf(!available)('rabbitmq quorum delay queues dead-letter at least once', () => {
  sharedBrokerUse();
  beforeAll(() => createVhost(vhost));
  afterAll(async () => {
    await transports.cleanUp(url.toString()).catch(() => undefined);
    await deleteVhost(vhost);
  });

  it('declares delay queues with x-dead-letter-strategy at-least-once and x-overflow reject-publish', async () => {
    const topic = uniqueName('dlx.args');
    const group = uniqueName('args');
    const transport = transports.create();
    await transport.connect();
    const attempts: number[] = [];
    await (
      await transport.subscribe({ topics: [topic], group, concurrency: 1 }, retryOnce(attempts))
    ).ready;
    await transport.publish([conformanceMessage(topic, { n: 1 })]);
    await eventually('the retry delivered', () => attempts.length === 2, 15_000);

    const delayQueue = `${transports.prefix}.delay.${group}.1s`;
    const listed = await rabbitmqctl('-q', 'list_queues', '-p', vhost, 'name', 'arguments', '--no-table-headers');
    const line = listed.split('\n').find((l) => l.startsWith(`${delayQueue}\t`))!;
    expect(line).toContain('{"x-dead-letter-strategy","at-least-once"}');
    expect(line).toContain('{"x-overflow","reject-publish"}');
    expect(line).toContain('{"x-queue-type","quorum"}');
  });

  it(
    'keeps a retry whose group queue is gone when its delay ends, and delivers it once the queue is back',
    {
      timeout: 40_000,
    },
    async () => {
      const topic = uniqueName('dlx.gone');
      const group = uniqueName('gone');
      const transport = transports.create();
      await transport.connect();
      const attempts: number[] = [];
      let subscription = await transport.subscribe({ topics: [topic], group, concurrency: 1 }, retryOnce(attempts));
      await subscription.ready;
      await transport.publish([conformanceMessage(topic, { n: 1 })]);
      await eventually('the first attempt', () => attempts.length === 1);
      const delayQueue = `${transports.prefix}.delay.${group}.1s`;
      const groupQueue = `${transports.prefix}.group.${group}`;
      await eventually('the retry stored in the delay queue', async () => (await messagesIn(delayQueue)) === 1);

      // The group's queue disappears (deleted, or unavailable as on a node that is down) while the retry waits.
      await subscription.close();
      await withChannel((c) => c.deleteQueue(groupQueue));
      await eventually('the delay ended', async () => (await messagesIn(delayQueue)) === 0, 10_000, 100);

      subscription = await transport.subscribe({ topics: [topic], group, concurrency: 1 }, retryOnce(attempts));
      await subscription.ready;
      // RabbitMQ's dead-letter worker tries an unroutable message again every 180 s
      // (dead_letter_worker_publisher_confirm_timeout); a policy change on the delay queue
      // makes it look again at once, so the test need not wait that long.
      await rabbitmqctl(
        'set_policy',
        '-p',
        vhost,
        '--apply-to',
        'queues',
        'nudge',
        `^${delayQueue}$`,
        '{"delivery-limit":100}',
      );
      await eventually('the retry delivered after all', () => attempts.length === 2, 15_000, 50);
      expect(attempts).toEqual([1, 2]);
    },
  );

  it(
    'names the fix when a delay queue from an earlier version conflicts, and loses nothing meanwhile',
    {
      timeout: 40_000,
    },
    async () => {
      const topic = uniqueName('dlx.old');
      const group = uniqueName('old');
      const lines: string[] = [];
      const transport = transports.create({ logger: createLogger({ level: 'warn', write: (l) => lines.push(l) }) });
      const prefix = transports.prefix;
      const oldDelayQueue = `${prefix}.delay.${group}.1s`;
      // What an earlier version declared: the same queue without at-least-once dead-lettering.
      await withChannel((c) =>
        c.assertQueue(oldDelayQueue, {
          durable: true,
          arguments: {
            'x-queue-type': 'quorum',
            'x-message-ttl': DELAY_MS,
            'x-dead-letter-exchange': '',
            'x-dead-letter-routing-key': `${prefix}.group.${group}`,
          },
        }),
      );
      await transport.connect();
      const attempts: number[] = [];
      await (
        await transport.subscribe({ topics: [topic], group, concurrency: 1 }, retryOnce(attempts))
      ).ready;
      await transport.publish([conformanceMessage(topic, { n: 1 })]);
      await eventually('the retry refused and the message delivered again', () => attempts.length >= 2, 10_000);
      expect(attempts.slice(0, 2)).toEqual([1, 1]);
      const refusal = lines.find((l) => l.includes('rabbitmqctl delete_queue'));
      expect(refusal).toContain(`rabbitmqctl delete_queue '${oldDelayQueue}'`);
      expect(refusal).toContain('Migrating quorum delay queues');

      // A reconnect meanwhile must not fail on the queue it could not declare.
      await rabbitmqctl('close_all_connections', '--vhost', vhost, 'test');
      await eventually('reconnected', () => transport.health().ok, 15_000, 50);

      // The operator's fix: once it is empty, delete it; the next retry declares it anew.
      expect(await messagesIn(oldDelayQueue)).toBe(0);
      await rabbitmqctl('delete_queue', '-p', vhost, oldDelayQueue);
      await eventually('the retry through the new delay queue', () => attempts.includes(2), 15_000, 50);
    },
  );
});
