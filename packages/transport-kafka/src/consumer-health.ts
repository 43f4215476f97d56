/** Why a subscription is not consuming as it should, by cause; health() reports them all. */
export type HealthCause = 'consumer' | 'writes';

export class ConsumerHealth {
  private readonly problems = new Map<HealthCause, string>();

  set(cause: HealthCause, detail: string): void {
    this.problems.set(cause, detail);
  }

  clear(cause: HealthCause): void {
    this.problems.delete(cause);
  }

  /** Undefined while nothing is wrong. */
  get down(): string | undefined {
    return this.problems.size === 0 ? undefined : [...this.problems.values()].join('; ');
  }
}
