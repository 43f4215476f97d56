import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent } from '../contracts/contracts.js';
import { BrokerError } from '../errors/errors.js';
import { encodeEvent } from '../messages/envelope.js';
import { MemoryStore } from '../stores/memory-store.js';
import { bodyOf, eventually } from '../testing/harness.js';
import { RefusingTransport } from '../testing/refusing-transport.js';
import type { IncomingMessage, OutgoingMessage } from '../transport/broker.js';
import { MemoryBroker, MemoryTransport } from '../transport/memory/memory-broker.js';
import { outboxRelay } from './relay.js';

const Ticked = defineEvent('relay-test.ticked', { data: z.object({ n: z.number() }) });

/** A broker that refuses the first `failures` publishes, as one that is down would. */
class FlakyTransport extends MemoryTransport {
  calls = 0;
  constructor(
    broker: MemoryBroker,
    private failures: number,
  ) {
    super({ broker });
  }
  override async publish(messages: OutgoingMessage[]): Promise<void> {
    this.calls++;
    if (this.failures-- > 0) throw new BrokerError('broker unavailable');
    return super.publish(messages);
  }
}

async function setup(failures: number) {
  const store = new MemoryStore();
  const broker = new MemoryBroker();
  const seen: IncomingMessage[] = [];
  const observer = new MemoryTransport({ broker });
  await observer.subscribe({ topics: [Ticked.topic], group: 'observer', concurrency: 1 }, async (m) => {
    seen.push(m);
    return { kind: 'ack' };
  });
  const append = (from: number, to: number) =>
    store.transaction(async (tx) => {
      const batch = [];
      for (let n = from; n < to; n++) batch.push(encodeEvent(Ticked, { n }, { source: 'test', key: 'one-key' }));
      await store.outbox!.append(tx, batch);
    });
  const ns = () => seen.map((m) => JSON.parse(new TextDecoder().decode(m.body)).n as number);
  return { store, transport: new FlakyTransport(broker, failures), append, ns, observer };
}

describe('outbox relay', () => {
  it('keeps rows the broker refused and sends them, in order, once it accepts', async () => {
    const { store, transport, append, ns, observer } = await setup(3);
    const relay = outboxRelay(store.outbox!, transport, {
      retryDelayMs: 5,
      refusedRetryDelayMs: 5,
      pollIntervalMs: 20,
      batchSize: 4,
    });
    await relay.start();
    await append(0, 10);
    await eventually('all ten delivered', () => ns().length === 10);
    expect(ns()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // The batch, its older half, then the oldest record alone: one refusal counted, one failed pass.
    expect(relay.stats).toMatchObject({ published: 10, failures: 1, refused: 1, parked: 0 });
    expect(relay.stats.lastError).toBe('broker unavailable');
    expect(store.outbox!.pending).toBe(0);
    await relay.stop();
    await observer.close();
  });

  it('an idle relay wakes when a refused record is due, not at its next poll', async () => {
    const store = new MemoryStore();
    const broker = new MemoryBroker();
    const seen: string[] = [];
    const observer = new MemoryTransport({ broker });
    await observer.subscribe({ topics: [Ticked.topic], group: 'observer', concurrency: 1 }, async (m) => {
      seen.push(m.key!);
      return { kind: 'ack' };
    });
    let refusals = 3;
    const transport = new RefusingTransport(broker, (m) => m.key === 'slow' && refusals-- > 0);
    const relay = outboxRelay(store.outbox!, transport, {
      retryDelayMs: 10,
      pollIntervalMs: 60_000,
      balanceIntervalMs: 60_000,
    });
    await relay.start();
    await store.transaction((tx) =>
      store.outbox!.append(tx, [
        encodeEvent(Ticked, { n: 1 }, { source: 'test', key: 'slow' }),
        encodeEvent(Ticked, { n: 2 }, { source: 'test', key: 'fast' }),
      ]),
    );
    // The other key went at once, so the relay had no failure to back off from: it must
    // wake for the refused record's retry, not sleep until its poll a minute later.
    await eventually('both delivered', () => seen.includes('slow') && seen.includes('fast'), 5_000);
    expect(relay.stats.refused).toBeGreaterThanOrEqual(1);
    await relay.stop();
    await observer.close();
  });

  it('one record the broker always refuses no longer stops the others (regression: 0 of 20 delivered)', async () => {
    const store = new MemoryStore();
    const broker = new MemoryBroker();
    const seen = new Set<number>();
    const observer = new MemoryTransport({ broker });
    await observer.subscribe({ topics: [Ticked.topic], group: 'observer', concurrency: 1 }, async (m) => {
      seen.add(bodyOf<{ n: number }>(m).n);
      return { kind: 'ack' };
    });
    // Keys 0..19 apart from n = 7, which shares key k3 with n = 3 and n = 11 comes after it on k3 too.
    const keyOf = (n: number): string => (n === 7 || n === 11 ? 'k3' : `k${n}`);
    await store.transaction((tx) =>
      store.outbox!.append(
        tx,
        Array.from({ length: 20 }, (_, n) => encodeEvent(Ticked, { n }, { source: 'test', key: keyOf(n) })),
      ),
    );
    const refusing = new RefusingTransport(broker, (m) => bodyOf<{ n: number }>(m).n === 7);
    const relay = outboxRelay(store.outbox!, refusing, { batchSize: 8, retryDelayMs: 5, pollIntervalMs: 20 });
    await relay.start();
    await eventually('the 18 records not held back are delivered', () => seen.size === 18);
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(relay.stats.refused).toBeGreaterThanOrEqual(1);
    await relay.stop();
    await observer.close();
  });

  it('a broker that refuses everything costs one counted refusal per pass, not one per record', async () => {
    const { store, transport, observer } = await setup(Infinity);
    await store.transaction((tx) =>
      store.outbox!.append(
        tx,
        Array.from({ length: 16 }, (_, n) => encodeEvent(Ticked, { n }, { source: 'test', key: `k${n}` })),
      ),
    );
    const relay = outboxRelay(store.outbox!, transport, { batchSize: 16, retryDelayMs: 60_000 });
    await relay.start();
    await eventually('the first pass failed', () => relay.stats.failures === 1);
    // 16, 8, 4, 2 and 1 records: the oldest alone is the only one counted.
    expect(transport.calls).toBe(5);
    expect(relay.stats.refused).toBe(1);
    const refused = await store.outbox!.refused();
    expect(refused.map((r) => [r.seq, r.attempts])).toEqual([['1', 1]]);
    await relay.stop();
    await observer.close();
  });

  it('stop({ drainMs }) publishes what is committed before it returns', async () => {
    const { store, transport, append, ns, observer } = await setup(0);
    const relay = outboxRelay(store.outbox!, transport, { batchSize: 100 });
    await relay.start();
    await relay.stop();
    await append(0, 5);
    const second = outboxRelay(store.outbox!, transport);
    await second.start();
    await second.stop({ drainMs: 2_000 });
    await eventually('drained', () => ns().length === 5);
    expect(store.outbox!.pending).toBe(0);
    expect(second.health()).toMatchObject({ ok: false });
    await observer.close();
  });
});
