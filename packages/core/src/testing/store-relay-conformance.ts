import { expect, it } from 'vitest';
import { encodeEvent } from '../messages/envelope.js';
import { outboxRelay, type OutboxRelay } from '../outbox/relay.js';
import type { Store } from '../stores/store.js';
import type { IncomingMessage } from '../transport/broker.js';
import { MemoryBroker, MemoryTransport } from '../transport/memory/memory-broker.js';
import { bodyOf, eventually, sleep } from './harness.js';
import { storeTestContracts } from './store-harness.js';

export interface RelaySuite<Tx> {
  store(): Promise<Store<Tx>>;
  /** Registers a relay to stop after the test. */
  relayed(relay: OutboxRelay): OutboxRelay;
  /** Every message the broker delivers on `topic`, duplicates included. */
  observe(broker: MemoryBroker, topic: string): Promise<IncomingMessage[]>;
  timeout: number;
  orderingEvents: number;
}

/** The relay against a store's outbox: wake-up on commit, and several relays sharing one outbox. */
export function runRelayConformance<Tx>({ store, relayed, observe, timeout, orderingEvents }: RelaySuite<Tx>): void {
  it('relay wakes on commit (LISTEN/NOTIFY or its local signal), not on its poll', { timeout }, async (t) => {
    const s = await store();
    if (!s.outbox) return t.skip();
    const { Placed } = storeTestContracts();
    const broker = new MemoryBroker();
    const seen = await observe(broker, Placed.topic);
    const relay = relayed(
      outboxRelay(s.outbox, new MemoryTransport({ broker }), { pollIntervalMs: 60_000, balanceIntervalMs: 60_000 }),
    );
    await relay.start();
    await sleep(200);
    const committed = Date.now();
    await s.transaction((tx) =>
      s.outbox!.append(tx, [encodeEvent(Placed, { id: 'woken', n: 1 }, { source: 'conformance', key: 'woken' })]),
    );
    await eventually('the relay published without waiting for its poll', () => seen.length === 1, 5_000);
    expect(Date.now() - committed).toBeLessThan(5_000);
  });

  it(
    'two relays over one outbox keep order per key and lose nothing (events across 50 keys)',
    { timeout },
    async (t) => {
      const first = await store();
      const second = await store();
      if (!first.outbox || !second.outbox) return t.skip();
      const total = orderingEvents;
      const { Placed } = storeTestContracts();
      const broker = new MemoryBroker();
      const seen = await observe(broker, Placed.topic);
      const keys = Array.from({ length: 50 }, (_, i) => `key-${i}`);
      const write = async (from: number, to: number): Promise<void> => {
        for (let start = from; start < to; start += 100) {
          await first.transaction(async (tx) => {
            const batch = [];
            for (let n = start; n < Math.min(start + 100, to); n++) {
              batch.push(
                encodeEvent(Placed, { id: `e${n}`, n }, { source: 'conformance', key: keys[n % keys.length]! }),
              );
            }
            await first.outbox!.append(tx, batch);
          });
        }
      };
      const options = { balanceIntervalMs: 100, pollIntervalMs: 200, batchSize: 200 };
      const relayA = relayed(outboxRelay(first.outbox, new MemoryTransport({ broker }), options));
      await relayA.start();
      await write(0, total / 2);
      const relayB = relayed(outboxRelay(second.outbox, new MemoryTransport({ broker }), options));
      await relayB.start();
      await eventually('the second relay took over some key ranges', () => relayB.stats.owned > 0);
      await write(total / 2, total);
      await eventually(`${total} events delivered`, () => seen.length >= total, timeout - 5_000);
      await sleep(300);
      expect(seen.length).toBe(total);
      const lastByKey = new Map<string, number>();
      for (const message of seen) {
        const { n } = bodyOf<{ n: number }>(message);
        const last = lastByKey.get(message.key!) ?? -1;
        expect(n, `order for ${message.key}`).toBeGreaterThan(last);
        lastByKey.set(message.key!, n);
      }
      expect(relayA.stats.published + relayB.stats.published).toBe(total);
      expect(relayB.stats.published).toBeGreaterThan(0);
    },
  );
}
