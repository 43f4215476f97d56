/**
 * A group's queue deleted under a running consumer (an operator, a policy, a test):
 * RabbitMQ cancels the consumer, and the transport must declare the queue and its
 * bindings again and go on consuming, not retry a consume on a queue that no longer exists.
 */
import { connect } from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { bodyOf, conformanceMessage, eventually, uniqueName } from '@tandem/core/testing';
import { sharedBrokerUse } from './support/broker-lock.js';
import { RABBITMQ_URL, rabbitAvailable, transportFactory } from './support/rabbitmq.js';

const available = await rabbitAvailable();
const transports = transportFactory();

describe.skipIf(!available)('rabbitmq group queue deleted while consuming', () => {
  sharedBrokerUse();
  afterAll(() => transports.cleanUp());

  it('declares it again with its bindings and consumes again', { timeout: 20_000 }, async () => {
    const topic = uniqueName('deleted.topic');
    const group = uniqueName('deleted');
    const transport = transports.create();
    await transport.connect();
    const handled: number[] = [];
    await (
      await transport.subscribe({ topics: [topic], group, concurrency: 1 }, async (m) => {
        handled.push(bodyOf<{ n: number }>(m).n);
        return { kind: 'ack' };
      })
    ).ready;
    await transport.publish([conformanceMessage(topic, { n: 1 })]);
    await eventually('the first message', () => handled.length === 1);

    const connection = await connect(RABBITMQ_URL);
    await (await connection.createChannel()).deleteQueue(`${transports.prefix}.group.${group}`);
    await connection.close();

    // Published until one arrives: until the queue is back, RabbitMQ drops what it cannot route.
    let n = 2;
    await eventually(
      'a message handled after the queue was deleted',
      async () => {
        await transport.publish([conformanceMessage(topic, { n: n++ })]);
        return handled.length > 1;
      },
      10_000,
      200,
    );
    expect(handled[0]).toBe(1);
  });
});
