/**
 * kafkajs gives up on a consumer after a non-retriable error (it does not restart it);
 * the transport starts a fresh consumer so the subscription keeps consuming. The broker
 * answers one Fetch with INVALID_REQUEST (error code 42) through the mock's fault injection.
 */
import { conformanceMessage, eventually, uniqueName } from '@tandem/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { mockTransport, startBroker } from './support.js';

const broker = await startBroker();
afterAll(() => broker?.stop());

const FETCH = 1;
const INVALID_REQUEST = 42;

describe.skipIf(!broker)('consumer crash on a non-retriable broker error', () => {
  it('is restarted and keeps consuming', { timeout: 60_000 }, async () => {
    const topic = uniqueName('crash.orders');
    await broker!.createTopic(`${topic}:3`);
    const { transport } = mockTransport(broker!);
    await transport.connect();
    const got = new Set<string>();
    const subscription = await transport.subscribe(
      { topics: [topic], group: uniqueName('g-crash'), concurrency: 4 },
      async (m) => (got.add(m.id), { kind: 'ack' }),
    );
    await subscription.ready;
    const before = Array.from({ length: 5 }, (_, n) => conformanceMessage(topic, { n }, { key: `k${n}` }));
    await transport.publish(before);
    await eventually('first 5', () => got.size >= 5);

    expect(transport.health()).toEqual({ ok: true });
    await broker!.failNextRequests(FETCH, [INVALID_REQUEST]);
    await eventually('health reports the crash', () => !transport.health().ok, 10_000, 5);
    expect(transport.health().detail).toMatch(/consumer crashed .*; restarting/);
    const after = Array.from({ length: 5 }, (_, n) => conformanceMessage(topic, { n: n + 5 }, { key: `k${n}` }));
    await transport.publish(after);
    await eventually('the 5 published after the crash', () => after.every((m) => got.has(m.headers['ce-id']!)), 30_000);
    expect(got.size).toBe(10);
    expect(transport.health()).toEqual({ ok: true });
    await transport.close();
  });

  it('retries a message whose handler throws instead of returning a disposition', { timeout: 60_000 }, async () => {
    const topic = uniqueName('throw.orders');
    await broker!.createTopic(`${topic}:3`);
    const { transport } = mockTransport(broker!, { retryLevelsMs: [200] });
    await transport.connect();
    const attempts: number[] = [];
    const subscription = await transport.subscribe(
      { topics: [topic], group: uniqueName('g-throw'), concurrency: 2 },
      async (m) => {
        attempts.push(m.attempt);
        if (m.attempt === 1) throw new Error('a bug in the handler');
        return { kind: 'ack' };
      },
    );
    await subscription.ready;
    await transport.publish([conformanceMessage(topic, { n: 1 }, { key: 'k' })]);
    await eventually('the retry', () => attempts.length >= 2, 20_000);
    expect(attempts).toEqual([1, 2]);
    await transport.close();
  });
});
