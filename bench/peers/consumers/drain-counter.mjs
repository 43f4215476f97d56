// For consumer processes: counts handled events and, at the BENCH_EVENTS-th, prints
// "drained <ms> <cpu µs>" measured from the first event handled, so start-up and group
// join are not part of the figure. The driver reads the line from stdout.
import { reportCpuOnSignal } from '../../lib/server-process.mjs';
import { PlaceOrder } from '../../http-overhead/payload.mjs';

reportCpuOnSignal();

export const events = Number(process.env.BENCH_EVENTS ?? 10_000);
export const url = process.env.BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
export const name = process.env.BENCH_NAME ?? 'bench';
export const prefetch = Number(process.env.BENCH_PREFETCH ?? 100);
export { PlaceOrder };

let handled = 0;
let startedAt = 0;
let cpuAtStart;

/** Call once per handled event (after validation, before or at ack). */
export function countHandled() {
  if (handled++ === 0) {
    startedAt = performance.now();
    cpuAtStart = process.cpuUsage();
  }
  if (handled === events) {
    const cpu = process.cpuUsage(cpuAtStart);
    console.log(`drained ${performance.now() - startedAt} ${cpu.user + cpu.system}`);
    // For instruction counts (rmq-instructions.mjs): end here, so valgrind writes its totals.
    if (process.env.BENCH_EXIT_WHEN_DRAINED) setImmediate(() => process.exit(0));
  }
}

/** Throws like every framework's validation does, so a malformed event is not counted. */
export function validate(data) {
  return PlaceOrder.parse(data);
}

export function ready(what) {
  console.log(`listening ${what}`);
}
