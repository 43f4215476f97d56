import { describe, expect, it } from 'vitest';
import { AbortedError, CircuitOpenError, NotFoundError, UnavailableError, type Logger } from '@tandem/core';
import { Breakers, type BreakerOptions } from './breaker.js';
import { answered, fault, type Fault } from './client-send.js';

const ok = () => Promise.resolve('ok');
const failing = (f: Fault) => () => Promise.reject(fault(new UnavailableError('down'), f));
const timeout = failing({ kind: 'timeout' });
const refused = failing({ kind: 'connection', notRun: true, refused: true });
const notFound = () => Promise.reject(answered(new NotFoundError('no such sku'), 404));
const callerAbort = () => Promise.reject(new AbortedError('the caller gave up'));

function breakers(options: BreakerOptions = {}, log?: Logger) {
  const clock = { t: 0 };
  const b = new Breakers(
    ['inventory'],
    { volumeThreshold: 4, minResetTimeoutMs: 100, resetTimeoutMs: 800, rollingWindowMs: 1_000, ...options },
    log,
    () => clock.t,
  );
  const fire = (action: () => Promise<unknown>) => b.fire('inventory', action).catch((e: unknown) => e);
  return { b, clock, fire, state: () => b.state('inventory') };
}

/** Fails probes until the circuit is open, then returns how long it stays open. */
async function openPeriod(h: ReturnType<typeof breakers>): Promise<number> {
  const from = h.clock.t;
  while (h.state() === 'open') h.clock.t += 10;
  return h.clock.t - from;
}

describe('circuit breaker', () => {
  it('opens on the failure rate of calls with an outcome; 4xx answers count as successes, caller aborts not at all', async () => {
    const h = breakers();
    for (let i = 0; i < 20; i++) await h.fire(callerAbort);
    await h.fire(notFound);
    await h.fire(timeout);
    await h.fire(timeout);
    expect(h.state()).toBe('closed');
    await h.fire(timeout);
    expect(h.state()).toBe('open');
    expect(h.b.snapshot().inventory).toMatchObject({ fires: 24, failures: 3, timeouts: 3, rejects: 0 });
    expect(await h.fire(ok)).toBeInstanceOf(CircuitOpenError);
    expect(h.b.snapshot().inventory?.rejects).toBe(1);
  });

  it('starts with a short open period and doubles it while probes fail, up to the maximum', async () => {
    const h = breakers();
    for (let i = 0; i < 4; i++) await h.fire(timeout);
    const periods: number[] = [];
    for (let i = 0; i < 5; i++) {
      periods.push(await openPeriod(h));
      expect(h.state()).toBe('half-open');
      await h.fire(timeout);
    }
    expect(periods).toEqual([100, 200, 400, 800, 800]);
  });

  it('a successful probe closes the circuit and forgets the failures; growth goes on if it fails again soon, and starts over after a quiet window', async () => {
    const h = breakers();
    for (let i = 0; i < 4; i++) await h.fire(timeout);
    await openPeriod(h);
    expect(await h.fire(ok)).toBe('ok');
    expect(h.state()).toBe('closed');
    expect(h.b.snapshot().inventory?.failures).toBe(0);
    for (let i = 0; i < 4; i++) await h.fire(timeout);
    expect(await openPeriod(h)).toBe(200);
    await h.fire(ok);
    h.clock.t += 1_000;
    for (let i = 0; i < 4; i++) await h.fire(timeout);
    expect(await openPeriod(h)).toBe(100);
  });

  it('a circuit opened by refusals is probed every minimum period however long they go on', async () => {
    const h = breakers();
    for (let i = 0; i < 4; i++) await h.fire(refused);
    const periods: number[] = [];
    for (let i = 0; i < 5; i++) {
      periods.push(await openPeriod(h));
      await h.fire(refused);
    }
    expect(periods).toEqual([100, 100, 100, 100, 100]);
  });

  it('a probe that ends without an outcome leaves the circuit half-open for the next call to probe', async () => {
    const h = breakers();
    for (let i = 0; i < 4; i++) await h.fire(timeout);
    await openPeriod(h);
    let release!: () => void;
    const held = h.fire(() => new Promise((_resolve, reject) => (release = () => reject(new AbortedError('gone')))));
    // While the probe is out, other calls fail fast.
    expect(await h.fire(ok)).toBeInstanceOf(CircuitOpenError);
    release();
    expect(await held).toBeInstanceOf(AbortedError);
    expect(h.state()).toBe('half-open');
    expect(await h.fire(ok)).toBe('ok');
    expect(h.state()).toBe('closed');
  });

  it('the minimum period is capped by the maximum', async () => {
    const h = breakers({ minResetTimeoutMs: 5_000, resetTimeoutMs: 300 });
    for (let i = 0; i < 4; i++) await h.fire(timeout);
    expect(await openPeriod(h)).toBe(300);
  });

  it('warns once when the circuit opens, not at every failed probe', async () => {
    const warnings: string[] = [];
    const log: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (_fields, message) => warnings.push(message ?? ''),
      error: () => undefined,
      child: () => log,
    };
    const h = breakers({}, log);
    for (let i = 0; i < 4; i++) await h.fire(refused);
    for (let i = 0; i < 5; i++) {
      await openPeriod(h);
      await h.fire(refused);
    }
    expect(warnings).toEqual(['circuit opened: calls to this service fail fast']);
  });
});
