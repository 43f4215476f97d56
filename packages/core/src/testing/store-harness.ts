import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { defineCommand, defineEvent } from '../contracts/contracts.js';
import type { Store } from '../stores/store.js';
import type { SyncServer } from '../runtime/sync-host.js';

/** What a store package gives the store conformance suite. */
export interface StoreHarness<Tx = unknown> {
  name: string;
  /**
   * Another store instance over the test database: the suite calls it several times
   * where several app instances share one database, and closes what it gets.
   */
  create(): Promise<Store<Tx>>;
  /** A side effect written in the handler's transaction, counted from outside. */
  effects?: {
    write(tx: Tx, id: string): Promise<void>;
    count(id: string): Promise<number>;
  };
  /** A listening HTTP server for the Idempotency-Key test (httpServer({ port: 0 }) from @tandem/transport-http). */
  httpServer?: () => SyncServer & { readonly url: string | undefined };
  /** Events in the two-relay ordering test. Default 10,000. */
  orderingEvents?: number;
  /** Per-test timeout. Default 60,000. */
  timeoutMs?: number;
}

/** A contract-safe unique segment: letters first. */
export function uniqueSegment(prefix = 's'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

/** Fresh contracts (unique service, topic and group) for one test. */
export function storeTestContracts() {
  const svc = uniqueSegment('store');
  return {
    service: svc,
    consumer: `${svc}-consumer`,
    Place: defineCommand(`${svc}.place`, {
      input: z.object({ id: z.string(), fail: z.boolean().optional() }),
      output: z.object({ id: z.string(), n: z.number() }),
    }),
    Placed: defineEvent(`${svc}.placed`, { data: z.object({ id: z.string(), n: z.number() }) }),
  };
}
