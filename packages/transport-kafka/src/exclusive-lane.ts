/**
 * Who may run a handler now, across every subscription of one transport (one process).
 * Ordinary deliveries share the lane; a delivery that must run alone (crash-guard.ts)
 * waits for the running ones to finish and holds back new ones until it is done, so if the
 * process dies meanwhile, that delivery is the one that took it down. First come, first
 * served, so a lone delivery is never starved by a stream of shared ones.
 *
 * A handler that hangs must not stop the whole process, so waiting is bounded by `patienceMs`
 * both ways: a lone delivery that waited that long for shared ones to finish goes ahead of
 * them, and one that has run that long lets the others go (it is still on record as alone).
 */
interface Waiter {
  alone: boolean;
  wake: () => void;
  /** A lone waiter that has waited `patienceMs`: no longer waits for running shared deliveries. */
  impatient?: boolean;
  timer?: NodeJS.Timeout;
}

export class ExclusiveLane {
  private shared = 0;
  /** The lone delivery holding the lane, if any. */
  private holder: object | undefined;
  private readonly waiting: Waiter[] = [];

  constructor(
    private readonly patienceMs: number,
    private readonly impatient: (what: 'waited' | 'ran') => void = () => undefined,
  ) {}

  /** Enters as a shared delivery; undefined when entered at once (no promise on the common path). */
  enterShared(): Promise<void> | undefined {
    if (this.waiting.length === 0 && !this.holder) {
      this.shared++;
      return undefined;
    }
    return new Promise<void>((wake) => this.waiting.push({ alone: false, wake }));
  }

  leaveShared(): void {
    this.shared--;
    this.wakeNext();
  }

  /** Enters alone; resolves with the function that leaves. */
  async enterAlone(): Promise<() => void> {
    if (this.waiting.length > 0 || this.holder || this.shared > 0) {
      await new Promise<void>((wake) => {
        const waiter: Waiter = { alone: true, wake };
        waiter.timer = setTimeout(() => {
          waiter.impatient = true;
          this.impatient('waited');
          this.wakeNext();
        }, this.patienceMs);
        this.waiting.push(waiter);
      });
    } else this.hold();
    const hold = this.holder!;
    const timer = setTimeout(() => {
      if (this.holder !== hold) return;
      this.impatient('ran');
      this.holder = undefined;
      this.wakeNext();
    }, this.patienceMs);
    return () => {
      clearTimeout(timer);
      if (this.holder !== hold) return;
      this.holder = undefined;
      this.wakeNext();
    };
  }

  private hold(): void {
    this.holder = {};
  }

  private wakeNext(): void {
    while (this.waiting.length > 0 && !this.holder) {
      const next = this.waiting[0]!;
      if (next.alone && this.shared > 0 && !next.impatient) return;
      this.waiting.shift();
      clearTimeout(next.timer);
      if (next.alone) this.hold();
      else this.shared++;
      next.wake();
      if (next.alone) return;
    }
  }
}
