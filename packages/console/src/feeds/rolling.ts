import { concatMap, reduce, scan, windowTime, type Observable } from 'rxjs';

/**
 * The last `buckets` ticks of `source`, each tick folded into one bucket as it passes: no
 * item is kept, only what `add` keeps of it, so memory depends on the buckets, not on the
 * rate. A tick with no items still gives an (empty) bucket, so rates fall back to zero.
 */
export function rolling<T, B>(
  source: Observable<T>,
  tickMs: number,
  buckets: number,
  empty: () => B,
  add: (bucket: B, item: T) => B,
): Observable<readonly B[]> {
  return source.pipe(
    windowTime(tickMs),
    concatMap((tick) => tick.pipe(reduce(add, empty()))),
    scan((window: readonly B[], bucket: B) => [...window.slice(Math.max(0, window.length - buckets + 1)), bucket], []),
  );
}

/** The `q` quantile (0..1) of unsorted samples, nearest rank; undefined without samples. */
export function quantile(samples: number[], q: number): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
