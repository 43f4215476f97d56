/**
 * close() while messages are prefetched: the handler already running finishes and is
 * acked, the prefetched ones that had not started go back to the queue (not lost, not
 * handled twice), and the next consumer of the group gets exactly those.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { bodyOf, conformanceMessage, deferred, eventually, sleep, uniqueName } from '@tandem/core/testing';
import { sharedBrokerUse } from './support/broker-lock.js';
import { rabbitAvailable, transportFactory } from './support/rabbitmq.js';

const available = await rabbitAvailable();
const transports = transportFactory();

describe.skipIf(!available)('rabbitmq graceful close', () => {
  sharedBrokerUse();
  afterAll(() => transports.cleanUp());

  it('acks the handler that finished, requeues what had not started, loses nothing', async () => {
    const topic = uniqueName('close.topic');
    const group = uniqueName('close');
    const first = transports.create();
    await first.connect();
    const started = deferred();
    const byFirst: number[] = [];
    await (
      await first.subscribe({ topics: [topic], group, concurrency: 1 }, async (m) => {
        started.resolve();
        await sleep(300);
        byFirst.push(bodyOf<{ n: number }>(m).n);
        return { kind: 'ack' };
      })
    ).ready;
    await first.publish(Array.from({ length: 5 }, (_, n) => conformanceMessage(topic, { n }, { key: 'same' })));
    await started.promise;
    await sleep(50);
    await first.close();
    expect(byFirst).toEqual([0]);

    const second = transports.create();
    await second.connect();
    const bySecond: number[] = [];
    await second.subscribe({ topics: [topic], group, concurrency: 1 }, async (m) => {
      bySecond.push(bodyOf<{ n: number }>(m).n);
      return { kind: 'ack' };
    });
    await eventually('the four requeued messages', () => bySecond.length >= 4);
    await sleep(300);
    expect(bySecond).toEqual([1, 2, 3, 4]);
  });
});
