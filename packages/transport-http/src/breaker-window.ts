export interface Counts {
  fires: number;
  successes: number;
  failures: number;
  rejects: number;
  timeouts: number;
}

const BUCKETS = 10;

function empty(): Counts {
  return { fires: 0, successes: 0, failures: 0, rejects: 0, timeouts: 0 };
}

/**
 * Counts over a rolling window, kept in ten buckets of a tenth of the window each: old
 * buckets drop out as time passes, so the sum covers between 90% and 100% of the window.
 */
export class RollingCounts {
  private readonly buckets: Counts[] = Array.from({ length: BUCKETS }, empty);
  private readonly width: number;
  private index = 0;
  private bucketStart: number;

  constructor(
    windowMs: number,
    private readonly now: () => number,
  ) {
    this.width = Math.max(1, windowMs / BUCKETS);
    this.bucketStart = now();
  }

  /** The bucket for now, after dropping those that fell out of the window. */
  current(): Counts {
    const now = this.now();
    const passed = Math.floor((now - this.bucketStart) / this.width);
    if (passed > 0) {
      for (let i = 0; i < Math.min(passed, BUCKETS); i++) {
        this.index = (this.index + 1) % BUCKETS;
        this.buckets[this.index] = empty();
      }
      this.bucketStart += passed * this.width;
    }
    return this.buckets[this.index]!;
  }

  sum(): Counts {
    this.current();
    const total = empty();
    for (const bucket of this.buckets) {
      total.fires += bucket.fires;
      total.successes += bucket.successes;
      total.failures += bucket.failures;
      total.rejects += bucket.rejects;
      total.timeouts += bucket.timeouts;
    }
    return total;
  }

  reset(): void {
    for (let i = 0; i < BUCKETS; i++) this.buckets[i] = empty();
  }
}
