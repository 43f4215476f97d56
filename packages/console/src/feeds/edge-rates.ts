import { map, type Observable } from 'rxjs';
import type { Activity } from '@tandem/core';
import { rolling } from './rolling.js';

/** Events of one type published by one service, per second over the window. */
export interface PublishRate {
  service: string;
  type: string;
  ratePerSec: number;
}

/** Deliveries of one event type handled by one consumer group, per second over the window. */
export interface DeliveryRate {
  type: string;
  group: string;
  service: string;
  ratePerSec: number;
  /** Deliveries that failed (retried or dead-lettered), per second. */
  failuresPerSec: number;
}

/** The live rates of the event-flow graph: producer service → type, and type → consumer group. */
export interface EdgeRates {
  published: PublishRate[];
  delivered: DeliveryRate[];
}

/** How the edge rates are windowed. */
export interface EdgeRatesOptions {
  /** Default 10 s. */
  windowMs?: number;
  /** Default 1 s. */
  tickMs?: number;
}

interface Bucket {
  published: Map<string, number>;
  delivered: Map<string, { service: string; count: number; failures: number }>;
}

const SEP = '\u0000';

/** Rates on the flow graph's edges over a sliding window, emitted every tick; memory bounded by the edges. */
export function edgeRates(activity: Observable<Activity>, options: EdgeRatesOptions = {}): Observable<EdgeRates> {
  const tickMs = options.tickMs ?? 1_000;
  const ticks = Math.max(1, Math.round((options.windowMs ?? 10_000) / tickMs));
  const add = (bucket: Bucket, a: Activity): Bucket => {
    if (a.kind === 'published') {
      const key = a.service + SEP + a.type;
      bucket.published.set(key, (bucket.published.get(key) ?? 0) + 1);
    } else if (a.kind === 'handler' && a.group !== undefined && a.type !== undefined) {
      const key = a.type + SEP + a.group;
      const edge = bucket.delivered.get(key) ?? { service: a.service, count: 0, failures: 0 };
      edge.count++;
      if (a.outcome !== 'ok') edge.failures++;
      bucket.delivered.set(key, edge);
    }
    return bucket;
  };
  return rolling(activity, tickMs, ticks, (): Bucket => ({ published: new Map(), delivered: new Map() }), add).pipe(
    map((window) => {
      const seconds = (window.length * tickMs) / 1000;
      const published = new Map<string, number>();
      const delivered = new Map<string, { service: string; count: number; failures: number }>();
      for (const bucket of window) {
        for (const [key, n] of bucket.published) published.set(key, (published.get(key) ?? 0) + n);
        for (const [key, edge] of bucket.delivered) {
          const total = delivered.get(key) ?? { service: edge.service, count: 0, failures: 0 };
          total.count += edge.count;
          total.failures += edge.failures;
          delivered.set(key, total);
        }
      }
      return {
        published: [...published].map(([key, n]) => {
          const [service, type] = key.split(SEP) as [string, string];
          return { service, type, ratePerSec: n / seconds };
        }),
        delivered: [...delivered].map(([key, edge]) => {
          const [type, group] = key.split(SEP) as [string, string];
          return {
            type,
            group,
            service: edge.service,
            ratePerSec: edge.count / seconds,
            failuresPerSec: edge.failures / seconds,
          };
        }),
      };
    }),
  );
}
