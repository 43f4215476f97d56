import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent } from '../contracts/contracts.js';
import { BrokerError } from '../errors/errors.js';
import { encodeEvent } from '../messages/envelope.js';
import { MemoryStore } from '../stores/memory-store.js';
import { eventually } from '../testing/harness.js';
import type { IncomingMessage, OutgoingMessage } from '../transport/broker.js';
import { MemoryBroker, MemoryTransport } from '../transport/memory/memory-broker.js';
import { outboxRelay } from './relay.js';

const Ticked = defineEvent('relay-test.ticked', { data: z.object({ n: z.number() }) });

/** A broker that refuses the first `failures` publishes, as one that is down would. */
class FlakyTransport extends MemoryTransport {
  constructor(
    broker: MemoryBroker,
    private failures: number,
  ) {
    super({ broker });
  }
  override async publish(messages: OutgoingMessage[]): Promise<void> {
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
    const relay = outboxRelay(store.outbox!, transport, { retryDelayMs: 5, batchSize: 4 });
    await relay.start();
    await append(0, 10);
    await eventually('all ten delivered', () => ns().length === 10);
    expect(ns()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(relay.stats).toMatchObject({ published: 10, failures: 3 });
    expect(relay.stats.lastError).toBe('broker unavailable');
    expect(store.outbox!.pending).toBe(0);
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
