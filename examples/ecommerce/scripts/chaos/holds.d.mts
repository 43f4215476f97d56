export interface Holds {
  /** Resolves when order `index` may be sent. */
  gate(index: number): Promise<void>;
  /** Fault `k` is over: the orders it held go out. */
  ended(k: number): void;
  /** Every hold ends. */
  endAll(): void;
  /** While the run waits for an order accepted after a fault, nothing is held. */
  measuring(on: boolean): void;
}

export function createHolds(starts: number[], window: number): Holds;
