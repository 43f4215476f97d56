import { expect, it } from 'vitest';
import { encodeEvent } from '../messages/envelope.js';
import { outboxRelay, type OutboxRelay } from '../outbox/relay.js';
import { outboxAdminOf, type Store } from '../stores/store.js';
import type { IncomingMessage } from '../transport/broker.js';
import { MemoryBroker, MemoryTransport } from '../transport/memory/memory-broker.js';
import { bodyOf, eventually, sleep } from './harness.js';
import { RefusingTransport } from './refusing-transport.js';
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

  it(
    'a record the broker always refuses is isolated and parked; the rest flow in order per key; retry resends it',
    { timeout },
    async (t) => {
      const s = await store();
      if (!s.outbox) return t.skip();
      const admin = outboxAdminOf(s.outbox);
      expect(admin, 'the outbox offers OutboxAdmin').toBeDefined();
      const { Placed } = storeTestContracts();
      const broker = new MemoryBroker();
      const seen = await observe(broker, Placed.topic);
      let refusing = true;
      const transport = new RefusingTransport(
        broker,
        (m) => refusing && m.topic === Placed.topic && bodyOf<{ id: string }>(m).id === 'poison',
      );
      const keys = ['a', 'b', 'c', 'd'];
      // n = 5 is key b's second record; b's 9, 13 and 17 must wait behind it.
      const events = Array.from({ length: 20 }, (_, n) =>
        encodeEvent(Placed, { id: n === 5 ? 'poison' : `e${n}`, n }, { source: 'conformance', key: keys[n % 4]! }),
      );
      await s.transaction((tx) => s.outbox!.append(tx, events));
      const relay = relayed(
        outboxRelay(s.outbox, transport, {
          batchSize: 8,
          parkAfter: 3,
          refusedRetryDelayMs: 20,
          retryDelayMs: 10,
          pollIntervalMs: 50,
          balanceIntervalMs: 50,
        }),
      );
      await relay.start();
      /** Each key's records in the order they first arrived (a resent batch repeats some). */
      const firstArrivals = (): Map<string, number[]> => {
        const byKey = new Map<string, number[]>();
        for (const message of seen) {
          const list = byKey.get(message.key!) ?? [];
          const { n } = bodyOf<{ n: number }>(message);
          if (!list.includes(n)) list.push(n);
          byKey.set(message.key!, list);
        }
        return byKey;
      };
      const delivered = (): number => [...firstArrivals().values()].reduce((sum, list) => sum + list.length, 0);

      await eventually('the 16 records not behind the refused one are delivered', () => delivered() === 16);
      await eventually('the refused record is parked', async () => (await admin!.counts()).parked === 1);
      const [parked] = (await admin!.refused({ parkedOnly: true })).filter((r) => r.message.topic === Placed.topic);
      expect(parked).toMatchObject({ attempts: 3, message: { key: 'b' } });
      expect(parked!.lastError).toContain('refused');
      expect(parked!.parkedAt).toBeDefined();
      await eventually('the relay reports it', () => relay.stats.parked === 1);
      expect(relay.health().detail).toContain('1 parked');
      expect(relay.stats.refused).toBe(3);
      // Parked, it holds its key back: nothing of b after it goes while the others are done.
      await sleep(200);
      expect(firstArrivals().get('b')).toEqual([1]);
      for (const key of ['a', 'c', 'd']) {
        expect(firstArrivals().get(key)).toEqual([0, 1, 2, 3, 4].map((i) => i * 4 + keys.indexOf(key)));
      }

      refusing = false;
      expect(await admin!.retry([parked!.seq])).toBe(1);
      await eventually('every record is delivered once the broker accepts it', () => delivered() === 20);
      expect(firstArrivals().get('b')).toEqual([1, 5, 9, 13, 17]);
      await eventually('nothing is left parked', async () => (await admin!.counts()).parked === 0);
      expect(await admin!.refused()).toEqual([]);
    },
  );
}
