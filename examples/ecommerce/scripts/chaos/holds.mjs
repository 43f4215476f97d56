// How the load is held back around the faults. It runs ahead of a planned fault by at most
// `window` orders, so that every fault happens under load however long the ones before it
// took, except while the run waits for the first order accepted after a fault: a fault
// planned close to the previous one would otherwise hold back the very orders that show the
// previous one's recovery, and neither could go on until that wait timed out (seed 8 on
// Kafka: no order for 30 s after an 8 s broker outage, counted as a 35.6 s recovery).

/**
 * @param {number[]} starts for each fault in schedule order, the number of answered orders at which it starts
 * @param {number} window how many orders the load may run ahead of a fault that has not ended
 */
export function createHolds(starts, window) {
  const over = starts.map(() => false);
  let measuring = false;
  let changed = signal();
  const notify = () => {
    const current = changed;
    changed = signal();
    current.resolve();
  };
  const held = (index) => !measuring && starts.some((start, k) => !over[k] && start <= index - window);
  return {
    /** Resolves when order `index` may be sent. */
    async gate(index) {
      while (held(index)) await changed.promise;
    },
    /** Fault `k` is over: the orders it held go out. */
    ended(k) {
      over[k] = true;
      notify();
    },
    /** Every hold ends (the faults are done, or the run stops). */
    endAll() {
      over.fill(true);
      notify();
    },
    /** While the run waits for an order accepted after a fault, nothing is held. */
    measuring(on) {
      measuring = on;
      notify();
    },
  };
}

function signal() {
  let resolve;
  const promise = new Promise((r) => (resolve = r));
  return { promise, resolve };
}
