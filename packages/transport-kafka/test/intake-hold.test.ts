/**
 * Back-pressure holds intake inside eachBatch (intake-bound.ts), and must never stall it:
 *
 * - A topic that takes several fetches, each bringing more than `maxBufferedMessages`,
 *   drains with no sleep between fetches. Pausing every partition instead made kafkajs sleep
 *   `maxWaitTimeMs` before each next fetch (set long here, so one such sleep fails the test).
 * - A held batch lets go at once when the subscription closes, and heartbeats while it
 *   waits, so a member joining the group gets its partitions without waiting for the held
 *   member's session to expire.
 */
import { bodyOf, conformanceMessage, deferred, eventually, sleep, uniqueName } from '@tandem/core/testing';
import type { Consumer } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { mockTransport, startBroker } from './support.js';

const broker = await startBroker();
afterAll(() => broker?.stop());

/** Past what the broker returns for a partition in one fetch (kafkajs asks for 1 MiB), in records of this size. */
const RECORD_BYTES = 200_000;
const RECORDS = 16;
const MAX_WAIT_MS = 4_000;
const HANDLER_MS = 20;

describe.skipIf(!broker)('intake held back in eachBatch', () => {
  it('drains fetches larger than maxBufferedMessages without sleeping maxWaitTimeMs', { timeout: 60_000 }, async () => {
    const topic = uniqueName('intake.large');
    await broker!.createTopic(`${topic}:1`);
    const { transport, client } = mockTransport(broker!, { maxBufferedMessages: 2, maxWaitTimeMs: MAX_WAIT_MS });
    await transport.connect();
    const padding = 'x'.repeat(RECORD_BYTES);
    // One publish each: one record batch each, so the broker can split them across fetches.
    for (let n = 0; n < RECORDS; n++) await transport.publish([conformanceMessage(topic, { n, padding })]);
    const handled: number[] = [];
    const subscription = await transport.subscribe(
      { topics: [topic], group: uniqueName('g-intake-large'), concurrency: 1 },
      async (m) => {
        // Slower than kafkajs's turn from one fetch to the next, so records are still unfinished when it fetches.
        await sleep(HANDLER_MS);
        handled.push(bodyOf<{ n: number }>(m).n);
        return { kind: 'ack' };
      },
    );
    let batches = 0;
    for (const c of client.created.filter((c): c is Consumer => 'paused' in c))
      c.on(c.events.START_BATCH_PROCESS, () => batches++);
    try {
      await subscription.ready;
      const started = Date.now();
      await eventually('every record handled', () => handled.length === RECORDS, 30_000);
      const took = Date.now() - started;
      console.log(`[kafka intake-hold test] ${RECORDS} records in ${batches} batches, drained in ${took} ms`);
      expect(handled).toEqual(Array.from({ length: RECORDS }, (_, n) => n));
      // Several fetches, each past the bound: the old pause made each next one sleep MAX_WAIT_MS.
      expect(batches).toBeGreaterThanOrEqual(3);
      expect(took).toBeLessThan(MAX_WAIT_MS);
    } finally {
      await transport.close();
    }
  });

  it('lets a held batch go at once on close', { timeout: 60_000 }, async () => {
    const topic = uniqueName('intake.close');
    await broker!.createTopic(`${topic}:1`);
    const { transport } = mockTransport(broker!, { maxBufferedMessages: 1, closeTimeoutMs: 200 });
    await transport.connect();
    const entered = deferred();
    const hung = deferred();
    const subscription = await transport.subscribe(
      { topics: [topic], group: uniqueName('g-intake-close'), concurrency: 1 },
      async () => {
        entered.resolve();
        await hung.promise;
        return { kind: 'ack' };
      },
    );
    try {
      await subscription.ready;
      await transport.publish([0, 1, 2].map((n) => conformanceMessage(topic, { n })));
      await entered.promise;
      const started = Date.now();
      await transport.close();
      const took = Date.now() - started;
      console.log(`[kafka intake-hold test] close() with a held batch returned after ${took} ms`);
      // 200 ms for the hung handler, then leaving; a batch that never let go keeps kafkajs from stopping for 5 s.
      expect(took).toBeLessThan(3_000);
    } finally {
      hung.resolve();
      await transport.close();
    }
  });

  it('heartbeats while held, so a rebalance reaches it at once', { timeout: 90_000 }, async () => {
    const topic = uniqueName('intake.rebalance');
    const group = uniqueName('g-intake-rebalance');
    await broker!.createTopic(`${topic}:2`);
    // Only a heartbeat tells a member that the group rebalances; without one it would learn only once its session expired.
    const settings = { sessionTimeoutMs: 10_000, heartbeatIntervalMs: 500 };
    const a = mockTransport(broker!, { ...settings, maxBufferedMessages: 1 });
    const b = mockTransport(broker!, settings);
    const hung = deferred();
    let enteredA = 0;
    const handledB: string[] = [];
    try {
      await a.transport.connect();
      const subA = await a.transport.subscribe({ topics: [topic], group, concurrency: 1 }, async () => {
        enteredA++;
        await hung.promise;
        return { kind: 'ack' };
      });
      await subA.ready;
      const consumerA = a.client.created.find((c): c is Consumer => 'paused' in c)!;
      let rebalancedAt: number | undefined;
      consumerA.on(consumerA.events.REBALANCING, () => (rebalancedAt ??= Date.now()));
      await a.transport.publish(
        Array.from({ length: 20 }, (_, n) => conformanceMessage(topic, { n }, { key: `k-${n}` })),
      );
      await eventually('the first member holds intake behind its hung handler', () => enteredA > 0);

      await b.transport.connect();
      const joining = Date.now();
      const subB = await b.transport.subscribe({ topics: [topic], group, concurrency: 4 }, async (m) => {
        handledB.push(m.id);
        return { kind: 'ack' };
      });
      await eventually('the held member sees the rebalance', () => rebalancedAt !== undefined, 30_000);
      const took = rebalancedAt! - joining;
      console.log(`[kafka intake-hold test] the held member saw the rebalance ${took} ms after the second one joined`);
      expect(took).toBeLessThan(settings.sessionTimeoutMs / 2);
      await subB.ready;
      await eventually('the joining member handles its partition', () => handledB.length > 0, 30_000);
    } finally {
      hung.resolve();
      await Promise.all([a.transport.close(), b.transport.close()]);
    }
  });
});
