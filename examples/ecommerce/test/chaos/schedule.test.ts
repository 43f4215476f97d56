/**
 * The fault run's plan: what a --faults list means, and that a seed always draws the same
 * schedule (so a failing run can be replayed) while another seed draws another one.
 */
import { describe, expect, it } from 'vitest';
import { describeFault, parseFaults, quickFaults, schedule } from '../../scripts/chaos/faults.mjs';
import { prng } from '../../scripts/chaos/prng.mjs';

const services = ['orders', 'inventory', 'payments', 'shipping', 'notifications'];

describe('chaos fault list', () => {
  it('expands kill and term to each service, and all to every fault of the broker', () => {
    expect(parseFaults('kill', 'amqp').map((f) => f.target)).toEqual(services);
    expect(parseFaults('term:payments,broker-outage:7', 'amqp')).toEqual([
      { kind: 'term', target: 'payments' },
      { kind: 'broker-outage', seconds: 7 },
    ]);
    const amqp = new Set(parseFaults('all', 'amqp').map((f) => f.kind));
    expect([...amqp].sort()).toEqual(['broker-cut', 'broker-outage', 'kill', 'pg-terminate', 'start-order', 'term']);
    expect(parseFaults('all', 'kafka').map((f) => f.kind)).toEqual(
      expect.arrayContaining(['kafka-commit', 'kafka-produce']),
    );
    expect(parseFaults('none', 'kafka')).toEqual([]);
  });

  it('refuses what it cannot do, naming the fix', () => {
    expect(() => parseFaults('kafka-commit', 'amqp')).toThrow(/needs --broker kafka/);
    expect(() => parseFaults('kill:billing', 'amqp')).toThrow(/expected one of orders/);
    expect(() => parseFaults('reboot', 'amqp')).toThrow(/unknown fault 'reboot'/);
    expect(() => parseFaults('broker-outage:soon', 'amqp')).toThrow(/whole seconds/);
  });

  it('--quick takes one fault of each kind', () => {
    const kinds = quickFaults('kafka', prng(3)).map((f) => f.kind);
    expect(kinds.sort()).toEqual([...new Set(kinds)].sort());
    expect(kinds).toHaveLength(8);
  });
});

describe('chaos schedule', () => {
  const faults = parseFaults('all', 'kafka');

  it('is the same for the same seed and differs for another', () => {
    const a = schedule(faults, prng(42));
    expect(schedule(faults, prng(42))).toEqual(a);
    expect(schedule(faults, prng(43)).timed.map(describeFault)).not.toEqual(a.timed.map(describeFault));
  });

  it('puts every fault but start-order mid-load, in order, with its own durations', () => {
    const { startOrder, timed } = schedule(faults, prng(7));
    expect(startOrder?.delayMs).toBeGreaterThanOrEqual(2_000);
    expect(timed).toHaveLength(faults.length - 1);
    expect(timed.map((f) => f.at)).toEqual([...timed.map((f) => f.at)].sort((x, y) => x - y));
    for (const fault of timed) {
      expect(fault.at).toBeGreaterThanOrEqual(0.05);
      expect(fault.at).toBeLessThanOrEqual(0.85);
      if (fault.kind === 'kill' || fault.kind === 'term') expect(fault.pauseMs).toBeGreaterThan(0);
      if (fault.kind === 'broker-outage') expect(fault.seconds).toBeGreaterThanOrEqual(3);
    }
  });
});
