export type FaultKind =
  'broker-cut' | 'broker-outage' | 'kill' | 'term' | 'pg-terminate' | 'start-order' | 'kafka-commit' | 'kafka-produce';

export interface Fault {
  kind: FaultKind;
  /** The service of a kill or term. */
  target?: string;
  /** How long a broker outage lasts. */
  seconds?: number;
}

export interface PlannedFault extends Fault {
  /** The share of the orders answered at which the fault starts (0.05 to 0.85). */
  at: number;
  /** How long a killed or stopped service stays down. */
  pauseMs?: number;
  /** How many Kafka requests are refused. */
  count?: number;
}

export const FAULT_KINDS: FaultKind[];
export function parseFaults(text: string, broker: 'amqp' | 'kafka'): Fault[];
export function quickFaults(broker: 'amqp' | 'kafka', random: () => number): Fault[];
export function schedule(
  faults: Fault[],
  random: () => number,
): { startOrder: { delayMs: number } | undefined; timed: PlannedFault[] };
export function describeFault(fault: PlannedFault): string;
