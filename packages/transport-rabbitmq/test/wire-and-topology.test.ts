/**
 * What other clients see on the broker: the CloudEvents AMQP binding on the wire, the
 * objects Tandem declares and their names, idempotent declaration, and the typed error
 * for an unroutable mandatory publish.
 */
import { connect, type GetMessage } from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { BrokerError, Header } from '@tandem/core';
import { conformanceMessage, deferred, eventually, uniqueName } from '@tandem/core/testing';
import { sharedBrokerUse } from './support/broker-lock.js';
import { RABBITMQ_URL, rabbitAvailable, transportFactory } from './support/rabbitmq.js';

const available = await rabbitAvailable();
const transports = transportFactory();

describe.skipIf(!available)('rabbitmq wire format and topology', () => {
  sharedBrokerUse();
  afterAll(() => transports.cleanUp());

  it('writes the CloudEvents AMQP binary binding: cloudEvents_ properties, content_type, trace context', async () => {
    const t = transports.create();
    await t.connect();
    const topic = uniqueName('wire.checked');
    const group = uniqueName('wire');
    const subscription = await t.subscribe({ topics: [topic], group, concurrency: 1 }, async () => ({ kind: 'ack' }));
    await subscription.close();
    const message = conformanceMessage(
      topic,
      { n: 1 },
      { key: 'k-1', headers: { [Header.tracestate]: 'vendor=1', 'x-custom': 'kept' } },
    );
    await t.publish([message]);

    const raw = await connect(RABBITMQ_URL);
    try {
      const channel = await raw.createChannel();
      const queue = t.declared().queues.find((q) => q.endsWith(`.group.${group}`))!;
      let got: GetMessage | false = false;
      await eventually('the raw message', async () => (got = await channel.get(queue, { noAck: true })) !== false);
      const { properties, content } = got as unknown as GetMessage;
      expect(properties.contentType).toBe('application/json');
      expect(properties.messageId).toBe(message.headers[Header.id]);
      expect(properties.deliveryMode).toBe(2);
      expect(properties.headers).toMatchObject({
        cloudEvents_id: message.headers[Header.id],
        cloudEvents_specversion: '1.0',
        cloudEvents_source: 'conformance',
        cloudEvents_type: 'conformance.checked',
        cloudEvents_traceparent: message.headers[Header.traceparent],
        cloudEvents_tracestate: 'vendor=1',
        cloudEvents_partitionkey: 'k-1',
        'x-custom': 'kept',
      });
      expect(properties.headers).not.toHaveProperty('content-type');
      expect(JSON.parse(content.toString())).toEqual({ n: 1 });
    } finally {
      await raw.close();
    }
  });

  it('reads messages written by another CloudEvents AMQP producer, including the cloudEvents: prefix', async () => {
    const t = transports.create();
    await t.connect();
    const topic = uniqueName('wire.foreign');
    const received = deferred<Record<string, string>>();
    const s = await t.subscribe(
      { topics: [topic], group: uniqueName('foreign'), concurrency: 1 },
      async (m) => (received.resolve(m.headers), { kind: 'ack' }),
    );
    await s.ready;
    const raw = await connect(RABBITMQ_URL);
    try {
      const channel = await raw.createChannel();
      channel.publish(t.declared().exchanges[0]!, topic, Buffer.from('{}'), {
        contentType: 'application/cloudevents+json',
        headers: {
          'cloudEvents:id': 'a-1',
          'cloudEvents:type': 'x.y',
          cloudEvents_source: 'other',
          'cloudEvents:specversion': '1.0',
          n: 7,
        },
      });
      expect(await received.promise).toMatchObject({
        'ce-id': 'a-1',
        'ce-type': 'x.y',
        'ce-source': 'other',
        'ce-specversion': '1.0',
        'content-type': 'application/cloudevents+json',
        n: '7',
      });
    } finally {
      await raw.close();
    }
  });

  it('declares predictable names, again without harm, and overridable ones', async () => {
    const group = uniqueName('names');
    const topic = uniqueName('names.topic');
    const first = transports.create();
    const second = transports.create({ names: { deadLetterQueue: (g) => `${transports.prefix}.custom-dlq.${g}` } });
    await first.connect();
    await second.connect();
    const a = await first.subscribe({ topics: [topic], group, concurrency: 1 }, async () => ({ kind: 'ack' }));
    const b = await first.subscribe({ topics: [topic], group, concurrency: 1 }, async () => ({ kind: 'ack' }));
    const c = await second.subscribe({ topics: [topic], group, concurrency: 1 }, async () => ({ kind: 'ack' }));
    await Promise.all([a.ready, b.ready, c.ready]);
    expect(first.declared()).toEqual({
      exchanges: [`${transports.prefix}.events`],
      queues: [`${transports.prefix}.group.${group}`, `${transports.prefix}.dlq.${group}`],
    });
    expect(second.declared().queues).toContain(`${transports.prefix}.custom-dlq.${group}`);
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it('rejects an unroutable mandatory publish with a BrokerError saying so, and confirms a routable one', async () => {
    const t = transports.create({ mandatory: true });
    await t.connect();
    const topic = uniqueName('nobody.listens');
    const error = await t.publish([conformanceMessage(topic, { n: 1 })]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BrokerError);
    expect((error as BrokerError).details).toEqual({ reason: 'unroutable' });
    expect((error as BrokerError).message).toContain('unroutable');
    const s = await t.subscribe({ topics: [topic], group: uniqueName('listener'), concurrency: 1 }, async () => ({
      kind: 'ack',
    }));
    await s.ready;
    await expect(t.publish([conformanceMessage(topic, { n: 2 })])).resolves.toBeUndefined();
    expect(t.health()).toMatchObject({ ok: true });
  });
});
