/**
 * One at a time, fewest earlier crashes first. Redelivered messages take turns so that
 * when a handler takes the process down, only the message whose run it was is charged
 * (see run-ledger.ts). Among those waiting, the one with the fewest runs that never ended
 * goes next, and one with any waits while others are still being looked up: after the
 * first crash every message that was in flight is redelivered, and from the second crash
 * on the one that keeps crashing has the most, so the others are handled before it
 * instead of waiting behind it through every restart.
 */

interface Waiter {
  rank: number;
  seq: number;
  wake: () => void;
}

export class Turns {
  private busy = false;
  private waiting: Waiter[] = [];
  /** Callers whose rank is still being looked up. */
  private pending = 0;
  private seq = 0;

  /**
   * @param holdMs How long one turn lasts at most. A handler that hangs must not hold back
   *   every other redelivered message for good; one that crashes does so within milliseconds.
   */
  constructor(private readonly holdMs: number) {}

  /** Runs `work` when it is this caller's turn; `rank` orders the waiters (a rejected rank counts as 0). */
  async take<T>(rank: Promise<number>, work: () => Promise<T>): Promise<T> {
    const seq = this.seq++;
    this.pending++;
    const known = await rank.catch(() => 0);
    await new Promise<void>((wake) => {
      // In one step, so no dispatch sees this caller neither pending nor waiting.
      this.pending--;
      this.waiting.push({ rank: known, seq, wake });
      this.dispatch();
    });
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.busy = false;
      this.dispatch();
    };
    const timer = setTimeout(release, this.holdMs);
    timer.unref();
    try {
      return await work();
    } finally {
      clearTimeout(timer);
      release();
    }
  }

  private dispatch(): void {
    if (this.busy || this.waiting.length === 0) return;
    let best = 0;
    for (let i = 1; i < this.waiting.length; i++) {
      const w = this.waiting[i]!;
      const b = this.waiting[best]!;
      if (w.rank < b.rank || (w.rank === b.rank && w.seq < b.seq)) best = i;
    }
    // One still being looked up may rank lower; nothing ranks below 0.
    if (this.waiting[best]!.rank > 0 && this.pending > 0) return;
    const [chosen] = this.waiting.splice(best, 1);
    this.busy = true;
    chosen!.wake();
  }
}
