/**
 * The saga gauges an app feeds while it runs: instances per saga and status, and how long
 * the oldest open instance of each saga has gone unchanged. Both come from one
 * `SagaStore.counts()` query, a GROUP BY over the instance table, so its result is kept for
 * a while rather than run on every metric collection of every app instance.
 */
import { observeSagaInstances, observeSagaOldestOpen, type GaugeRegistration } from '../metrics/gauges.js';
import { endedSagaStatuses, type SagaCount, type SagaStatus, type SagaStore } from './saga-store.js';

const STATUSES: readonly SagaStatus[] = ['running', 'compensating', 'completed', 'compensated', 'parked'];

/** How often the store is asked at most. Default 15 s. */
export const SAGA_GAUGE_CACHE_MS = 15_000;

export interface SagaGaugeOptions {
  /** The sagas to report (the app's own): the store may hold other apps' instances. */
  sagas: readonly string[];
  cacheMs?: number;
  now?: () => number;
}

/** Registers both saga gauges over `store`; `stop()` unregisters them (when the app stops). */
export function watchSagaInstances(store: Pick<SagaStore, 'counts'>, options: SagaGaugeOptions): GaugeRegistration {
  const cacheMs = options.cacheMs ?? SAGA_GAUGE_CACHE_MS;
  const now = options.now ?? Date.now;
  const names = [...new Set(options.sagas)];
  let cached: { at: number; counts: Promise<SagaCount[]> } | undefined;
  const counts = (): Promise<SagaCount[]> => {
    if (!cached || now() - cached.at >= cacheMs) {
      const read = store.counts();
      const entry = { at: now(), counts: read };
      cached = entry;
      // A failed read is not kept: the next collection asks again (the gauge reports nothing meanwhile).
      read.catch(() => {
        if (cached === entry) cached = undefined;
      });
    }
    return cached.counts;
  };
  const instances = observeSagaInstances(async () => {
    const all = await counts();
    // Every status of every saga, zeros included, so a series drops to 0 rather than going stale.
    return names.flatMap((saga) =>
      STATUSES.map((status) => ({
        value: all.find((c) => c.saga === saga && c.status === status)?.count ?? 0,
        attributes: { 'tandem.saga.name': saga, 'tandem.saga.status': status },
      })),
    );
  });
  const oldest = observeSagaOldestOpen(async () => {
    const all = await counts();
    const at = now();
    return names.map((saga) => {
      const open = all.filter((c) => c.saga === saga && c.count > 0 && !endedSagaStatuses.includes(c.status));
      const since = open.length > 0 ? Math.min(...open.map((c) => c.oldestUpdatedAt)) : at;
      return { value: Math.max(0, (at - since) / 1_000), attributes: { 'tandem.saga.name': saga } };
    });
  });
  return {
    stop() {
      instances.stop();
      oldest.stop();
    },
  };
}
