/**
 * Who may run a handler now, across every subscription of one transport (one process).
 * Ordinary deliveries share the lane; a delivery that must run alone (crash-guard.ts)
 * waits for the running ones to finish and holds back new ones until it is done, so if the
 * process dies meanwhile, that delivery is the one that took it down. First come, first
 * served, so a lone delivery is never starved by a stream of shared ones.
 */
interface Waiter {
  alone: boolean;
  wake: () => void;
}

export class ExclusiveLane {
  private shared = 0;
  private alone = false;
  private readonly waiting: Waiter[] = [];

  /** Enters the lane; undefined when entered at once (no promise on the common path). */
  enter(alone: boolean): Promise<void> | undefined {
    if (this.waiting.length === 0 && !this.alone && (!alone || this.shared === 0)) {
      this.take(alone);
      return undefined;
    }
    return new Promise<void>((wake) => this.waiting.push({ alone, wake }));
  }

  leave(alone: boolean): void {
    if (alone) this.alone = false;
    else this.shared--;
    this.wakeNext();
  }

  private take(alone: boolean): void {
    if (alone) this.alone = true;
    else this.shared++;
  }

  private wakeNext(): void {
    while (this.waiting.length > 0 && !this.alone) {
      const next = this.waiting[0]!;
      if (next.alone && this.shared > 0) return;
      this.waiting.shift();
      this.take(next.alone);
      next.wake();
      if (next.alone) return;
    }
  }
}
