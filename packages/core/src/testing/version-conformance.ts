/**
 * The versioned-events suite: a version-1 event reaches a consumer upgraded to version 2
 * by every road an old message takes (waiting in the queue or topic, waiting in the outbox,
 * waiting as a dead letter) and is handled after upcasting; a version the consumer does
 * not know is dead-lettered as `unknown-version`. Transport and store packages run it
 * against their real services: `runVersionConformance(harness)` in a vitest file.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand, defineEvent } from '../contracts/contracts.js';
import { silentLogger } from '../log/logger.js';
import { Header } from '../messages/headers.js';
import { createApp, type App } from '../runtime/app.js';
import type { AppOptions } from '../runtime/app-options.js';
import type { Store } from '../stores/store.js';
import type { BrokerTransport, DeadLetterAccess } from '../transport/broker.js';
import { eventually } from './harness.js';
import { uniqueSegment } from './store-harness.js';

/** How a package plugs its broker and store into the versioned-events suite. */
export interface VersionHarness {
  name: string;
  /** A new transport to the same broker, not yet connected (like another process's). */
  broker(): BrokerTransport | Promise<BrokerTransport>;
  /** A store with an outbox on the same database, not yet connected; the memory harness returns one instance. */
  store(): Store | Promise<Store>;
  /** Called with the topics a test uses before anything subscribes (Kafka creates them). */
  prepareTopics?(topics: string[]): Promise<void>;
  /**
   * A group that never subscribed still reads what was published before (Kafka reading from
   * the start): the suite then skips starting the old consumer once to create the group.
   */
  groupsReadFromStart?: boolean;
  /** Per-test timeout. Default 30,000. */
  timeoutMs?: number;
}

const PlacedV1 = z.object({ orderId: z.string(), total: z.number() });
const PlacedV2 = z.object({ orderId: z.string(), amount: z.object({ value: z.number(), currency: z.string() }) });
type Placed = z.output<typeof PlacedV2>;

/** One test's contracts: `orders.placed` at version 1 (the old deployment's) and 2 (the new one's). */
function world() {
  const service = uniqueSegment('ver');
  const name = `${service}.placed`;
  const v1 = defineEvent(name, { data: PlacedV1 });
  const v2 = defineEvent(name, {
    version: 2,
    data: PlacedV2,
    from: {
      1: { data: PlacedV1, upcast: (old) => ({ orderId: old.orderId, amount: { value: old.total, currency: 'EUR' } }) },
    },
  });
  const v3 = defineEvent(name, { version: 3, data: PlacedV2 });
  const place = defineCommand(`${service}.place`, { input: PlacedV1, output: z.object({}) });
  return { service, group: `${service}-billing`, v1, v2, v3, place };
}

/** Registers the versioned-events suite in the calling test file. */
export function runVersionConformance(harness: VersionHarness): void {
  const timeout = harness.timeoutMs ?? 30_000;
  const wait = timeout - 5_000;
  const cleanup: Array<() => Promise<unknown>> = [];

  afterEach(async () => {
    for (const step of cleanup.splice(0)) await step().catch(() => undefined);
  });

  async function started(options: Partial<AppOptions>, setup: (app: App) => App = (app) => app): Promise<App> {
    const app = setup(createApp({ broker: await harness.broker(), logger: silentLogger, ...options } as AppOptions));
    await app.start();
    cleanup.unshift(() => app.stop());
    return app;
  }

  /** The old deployment's consumer, started and stopped once so that its group's queue or offsets exist. */
  async function oldConsumerOnce(w: ReturnType<typeof world>): Promise<void> {
    await harness.prepareTopics?.([w.v1.topic]);
    if (harness.groupsReadFromStart) return;
    const old = await started({ name: w.service }, (app) =>
      app.onEvent(w.v1, async () => undefined, { group: w.group }),
    );
    await old.stop();
  }

  /** The upgraded consumer: every event it handled, as its handler received it. */
  async function newConsumer(w: ReturnType<typeof world>, options: Partial<AppOptions> = {}) {
    const handled: Placed[] = [];
    const app = await started({ name: w.service, ...options }, (a) =>
      a.onEvent(
        w.v2,
        async (data) => {
          handled.push(data);
        },
        { group: w.group },
      ),
    );
    return { app, handled };
  }

  /** Dead-letter access on a connection of its own, as the CLI has. */
  async function operator(): Promise<DeadLetterAccess> {
    const transport = await harness.broker();
    await transport.connect();
    cleanup.push(() => transport.close());
    return transport.deadLetters!;
  }

  const upcast: Placed = { orderId: 'o1', amount: { value: 40, currency: 'EUR' } };

  describe(`versioned events: ${harness.name}`, () => {
    it(
      'a version-1 event in the queue before the version-2 consumer starts is handled upcast',
      { timeout },
      async () => {
        const w = world();
        await oldConsumerOnce(w);
        const producer = await started({ name: `${w.service}-producer` });
        await producer.publish(w.v1, { orderId: 'o1', total: 40 }, { key: 'o1' });
        const { handled } = await newConsumer(w);
        await eventually('the v2 consumer handled the v1 event', () => handled.length === 1, wait);
        expect(handled).toEqual([upcast]);
      },
    );

    it(
      'a version-1 row in the outbox, relayed after the producer was upgraded, is handled upcast',
      { timeout },
      async () => {
        const w = world();
        await oldConsumerOnce(w);
        const old = await started({ name: w.service, store: await harness.store(), relay: false }, (app) =>
          app.command(w.place, async (input, ctx) => {
            await ctx.publish(w.v1, input, { key: input.orderId });
            return {};
          }),
        );
        await old.call(w.place, { orderId: 'o1', total: 40 });
        await old.stop();
        const { handled } = await newConsumer(w, { store: await harness.store() });
        await eventually(
          'the upgraded relay sent the v1 row and the v2 consumer handled it',
          () => handled.length === 1,
          wait,
        );
        expect(handled).toEqual([upcast]);
      },
    );

    it(
      'a version-1 dead letter of the old consumer, replayed to the version-2 consumer, is handled upcast',
      { timeout },
      async () => {
        const w = world();
        await harness.prepareTopics?.([w.v1.topic]);
        const old = await started({ name: w.service }, (app) =>
          app.onEvent(
            w.v1,
            async () => {
              throw new Error('the old consumer cannot handle it');
            },
            { group: w.group, retry: { attempts: 1 } },
          ),
        );
        await old.publish(w.v1, { orderId: 'o1', total: 40 }, { key: 'o1' });
        const access = await operator();
        await eventually(
          'the old consumer dead-lettered it',
          async () => (await access.list(w.group)).length === 1,
          wait,
        );
        await old.stop();
        const { handled } = await newConsumer(w);
        const [letter] = await access.list(w.group);
        expect(letter!.message.headers[Header.dataschema]).toBe(`urn:tandem:event:${w.v1.name}:v1`);
        expect(await access.replay(w.group, [letter!.id])).toBe(1);
        await eventually('the v2 consumer handled the replayed v1 event', () => handled.length === 1, wait);
        expect(handled).toEqual([upcast]);
      },
    );

    it(
      'a version-3 event reaching the version-2 consumer is dead-lettered as unknown-version',
      { timeout },
      async () => {
        const w = world();
        await harness.prepareTopics?.([w.v1.topic]);
        const { app, handled } = await newConsumer(w);
        await app.publish(w.v3, upcast, { key: 'o1' });
        const access = await operator();
        await eventually('dead-lettered', async () => (await access.list(w.group)).length === 1, wait);
        const [letter] = await access.list(w.group);
        expect(letter!.reason).toBe('unknown-version');
        expect(letter!.error).toContain('version 3');
        expect(handled).toEqual([]);
      },
    );
  });
}
