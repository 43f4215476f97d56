import { concatMap, filter, reduce, windowTime, type Observable } from 'rxjs';
import type { Activity } from '@tandem/core';

/** What one interval of the live stream kept: at most `perInterval` records, and how many it dropped. */
export interface SampledBatch {
  records: Activity[];
  dropped: number;
}

/** How the live stream is thinned under load. */
export interface SampledOptions {
  /** Records kept per interval; the rest are counted in `dropped`. Default 50. */
  perInterval?: number;
  /** Default 100 ms. */
  intervalMs?: number;
}

/**
 * The live stream a person can follow: per interval, the first `perInterval` records and a
 * count of the others. Memory is bounded by `perInterval` whatever the rate; intervals with
 * nothing in them emit nothing.
 */
export function sampled(activity: Observable<Activity>, options: SampledOptions = {}): Observable<SampledBatch> {
  const keep = options.perInterval ?? 50;
  return activity.pipe(
    windowTime(options.intervalMs ?? 100),
    concatMap((interval) =>
      interval.pipe(
        reduce(
          (batch: SampledBatch, a: Activity) => {
            if (batch.records.length < keep) batch.records.push(a);
            else batch.dropped++;
            return batch;
          },
          { records: [], dropped: 0 },
        ),
      ),
    ),
    filter((batch) => batch.records.length > 0 || batch.dropped > 0),
  );
}
