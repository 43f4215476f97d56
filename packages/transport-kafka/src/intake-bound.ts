/**
 * Back-pressure for a subscription: once `max` fetched records are unfinished, the eachBatch
 * that brought the last of them does not return until the backlog has halved.
 *
 * kafkajs fetches a broker's partitions again only once every batch of its previous fetch has
 * come back from eachBatch (its fetcher awaits the worker queue), so a batch that waits stops
 * intake without pausing anything. Pausing was the old way, and it stalled: with every
 * partition paused kafkajs sleeps `maxWaitTimeMs` before it looks again, and a resume does
 * not wake it.
 *
 * A waiting batch heartbeats, so the member keeps its partitions, and a heartbeat that finds
 * the group rebalancing throws out of eachBatch: kafkajs rejoins at once, as it would after
 * the batch. It returns as soon as the backlog halves, the consumer stops (`isRunning`), the
 * partition is sought (`isStale`), or the subscription lets go (`release`: a new generation,
 * close); it looks at the consumer every `tickMs` too, since kafkajs says nothing when it stops.
 */
import type { EachBatchPayload } from 'kafkajs';

export type HeldBatch = Pick<EachBatchPayload, 'heartbeat' | 'isRunning' | 'isStale'>;

export interface IntakeBoundDeps {
  /** Unfinished records past which intake waits (`maxBufferedMessages`). */
  max: number;
  /** Records taken and not finished. */
  buffered(): number;
  /** How often a waiting batch heartbeats and checks its consumer. */
  tickMs: number;
}

export class IntakeBound {
  /** Wakes every waiting batch; set while one waits. */
  private wake: (() => void) | undefined;
  private woken: Promise<void> | undefined;

  constructor(private readonly deps: IntakeBoundDeps) {}

  /** Whether a batch that has just handed out its records must wait before returning. */
  get full(): boolean {
    return this.deps.buffered() >= this.deps.max;
  }

  /**
   * Waits until the backlog has halved or the batch must return (see above). `letGo` says
   * whether the subscription no longer wants this batch's consumer to wait (checked on each tick).
   */
  async hold(batch: HeldBatch, letGo: () => boolean): Promise<void> {
    for (;;) {
      if (!batch.isRunning() || batch.isStale() || letGo() || this.deps.buffered() <= this.deps.max / 2) return;
      if (await this.wokenOrTicked()) return;
      await batch.heartbeat();
    }
  }

  /** Called as records finish, `finishing` of them still counted in `buffered`: lets waiting batches go once it has halved. */
  relieve(finishing = 0): void {
    if (this.wake !== undefined && this.deps.buffered() - finishing <= this.deps.max / 2) this.release();
  }

  /** Lets every waiting batch return now. */
  release(): void {
    const wake = this.wake;
    this.wake = undefined;
    this.woken = undefined;
    wake?.();
  }

  /** True when woken by relieve() or release(), false after a tick. */
  private async wokenOrTicked(): Promise<boolean> {
    this.woken ??= new Promise<void>((resolve) => (this.wake = resolve));
    let timer: NodeJS.Timeout | undefined;
    const woken = await Promise.race([
      this.woken.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.deps.tickMs))),
    ]);
    clearTimeout(timer);
    return woken;
  }
}
