/**
 * What the saga suite's tests share: the harness a package provides, and the helpers every
 * test uses (an app on the harness's broker and store, an observer of a topic, instance reads).
 */
import { afterEach } from 'vitest';
import { silentLogger } from '../log/logger.js';
import { createApp, type App } from '../runtime/app.js';
import { sagaTopic } from '../sagas/messages.js';
import type { SagaInstance } from '../sagas/saga-store.js';
import type { Store } from '../stores/store.js';
import type { BrokerTransport, IncomingMessage } from '../transport/broker.js';
import { eventually } from './harness.js';
import type { CheckoutWorld } from './saga-fixture.js';
import { uniqueSegment } from './store-harness.js';

/** How a package plugs its broker and store into the saga suite. */
export interface SagaHarness {
  name: string;
  /** A new transport to the same broker, not yet connected (like another process's). */
  broker(): BrokerTransport | Promise<BrokerTransport>;
  /** A store on the same database, not yet connected; the memory harness returns one instance. */
  store(): Store | Promise<Store>;
  /** Called with the topics a test uses before anything subscribes (Kafka creates them). */
  prepareTopics?(topics: string[]): Promise<void>;
  /** Instances in the concurrency test. Default 1,000. */
  instances?: number;
  /** Per-test timeout. Default 60,000. */
  timeoutMs?: number;
  /**
   * The store runs one transaction at a time (PGlite): a command called in process holds
   * it, so no timeout can fire while such a command runs, and the test of that is skipped.
   */
  oneTransactionAtATime?: boolean;
}

/** The helpers of one suite registration; its cleanup runs after each test. */
export function sagaSuiteSupport(harness: SagaHarness) {
  const timeout = harness.timeoutMs ?? 60_000;
  const cleanup: Array<() => Promise<unknown>> = [];

  afterEach(async () => {
    for (const step of cleanup.splice(0)) await step().catch(() => undefined);
  });

  function topicsOf(world: CheckoutWorld): string[] {
    const { Placed, Delivered, ShipmentFailed, Confirmed, Cancelled } = world.contracts;
    const own = sagaTopic(world.checkout.name);
    return [Placed, Delivered, ShipmentFailed, Confirmed, Cancelled].map((e) => e.topic).concat(own, `${own}.commands`);
  }

  async function start(
    world: CheckoutWorld,
    extra: Parameters<typeof createApp>[0] = {},
  ): Promise<{ app: App; store: Store }> {
    await harness.prepareTopics?.(topicsOf(world));
    const store = await harness.store();
    const app = createApp({
      name: world.prefix,
      services: [...world.services, world.checkout],
      broker: await harness.broker(),
      store,
      logger: silentLogger,
      sagaClock: { pollMs: 50 },
      ...extra,
    });
    await app.start();
    cleanup.unshift(() => app.stop());
    return { app, store };
  }

  /** Everything published on `topic`, seen by a group of its own. */
  async function observe(topic: string): Promise<IncomingMessage[]> {
    const seen: IncomingMessage[] = [];
    const transport = await harness.broker();
    await transport.connect();
    const subscription = await transport.subscribe(
      { topics: [topic], group: uniqueSegment('observer'), concurrency: 8 },
      async (message) => {
        seen.push(message);
        return { kind: 'ack' };
      },
    );
    await subscription.ready;
    cleanup.push(() => transport.close());
    return seen;
  }

  async function instance(store: Store, world: CheckoutWorld, id: string): Promise<SagaInstance | undefined> {
    return store.sagas!.get(world.checkout.name, id);
  }

  async function settled(store: Store, world: CheckoutWorld, id: string, status: SagaInstance['status']) {
    await eventually(
      `checkout ${id} to be ${status}`,
      async () => (await instance(store, world, id))?.status === status,
      timeout - 5_000,
    );
    return (await instance(store, world, id))!;
  }

  return { harness, timeout, cleanup, topicsOf, start, observe, instance, settled };
}

/** What sagaSuiteSupport returns. */
export type SagaSuiteSupport = ReturnType<typeof sagaSuiteSupport>;
