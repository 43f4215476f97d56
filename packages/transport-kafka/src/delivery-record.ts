/**
 * What a committed offset's metadata says about the records from that offset on, so that a
 * consumer that crashed (or hung and was stopped) leaves a trace a later member reads.
 * `tandem/1 <mode> <starts> <upto> <by>`:
 *
 * - `shared 0 <upto> <by>`: transport instance `by` is handling this partition several
 *   records at once and may have handed out records up to offset `upto`. A member that
 *   stops handling a partition normally (close, rebalance) commits without a mark.
 * - `alone <starts> <upto> <by>`: records up to `upto` go out one at a time, each alone in
 *   its process; the record at the committed offset was started alone `starts` times, the
 *   last by `by`, and none of those deliveries settled.
 *
 * `by` is a random id per transport instance (one per process, normally): a member that
 * finds its own mark knows it did not crash. Anything else (no metadata, another tool's)
 * says nothing. See crash-guard.ts.
 */

export interface DeliveryRecord {
  mode: 'shared' | 'alone';
  starts: number;
  upto: bigint;
  by: string;
}

const PATTERN = /^tandem\/1 (shared|alone) (\d{1,9}) (\d{1,19}) ([\w-]{1,64})$/;

export function encodeDeliveryRecord({ mode, starts, upto, by }: DeliveryRecord): string {
  return `tandem/1 ${mode} ${starts} ${upto} ${by}`;
}

export function decodeDeliveryRecord(metadata: string | null | undefined): DeliveryRecord | undefined {
  const match = metadata ? PATTERN.exec(metadata) : null;
  if (!match) return undefined;
  return { mode: match[1] as 'shared' | 'alone', starts: Number(match[2]), upto: BigInt(match[3]!), by: match[4]! };
}

/**
 * The delivery count of a record handed out alone after `starts` earlier lone deliveries
 * that never settled. Lone deliveries only happen after a member stopped while handling
 * the record among others (see crash-guard.ts); a record that then also takes its process
 * down alone is charged with that first stop too, so a poison message is dead-lettered
 * after `crashLoopLimit` crashes in all, while a record that never failed alone is charged
 * nothing.
 */
export function deliveryCountAlone(starts: number): number {
  return starts === 0 ? 1 : starts + 2;
}
