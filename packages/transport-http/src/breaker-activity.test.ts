import { describe, expect, it } from 'vitest';
import { ActivityHub, UnavailableError, type Activity } from '@tandem/core';
import { Breakers } from './breaker.js';
import { fault } from './client-send.js';

const timeout = () => Promise.reject(fault(new UnavailableError('down'), { kind: 'timeout' }));
const ok = () => Promise.resolve('ok');

describe('circuit breaker activity', () => {
  it("reports each state change to the app's activity: closed → open → half-open → open → half-open → closed", async () => {
    const clock = { t: 0 };
    const b = new Breakers(['inventory'], { volumeThreshold: 2, minResetTimeoutMs: 100 }, undefined, () => clock.t);
    const hub = new ActivityHub();
    const seen: Activity[] = [];
    hub.subscribe((a) => seen.push(a));
    b.attachActivity(hub);
    const fire = (action: () => Promise<unknown>) => b.fire('inventory', action).catch(() => undefined);
    await fire(timeout);
    await fire(timeout);
    clock.t += 100;
    await fire(timeout);
    clock.t += 1_000;
    await fire(ok);
    expect(seen.map((a) => (a.kind === 'breaker' ? `${a.target}: ${a.from} → ${a.to}` : a.kind))).toEqual([
      'inventory: closed → open',
      'inventory: open → half-open',
      'inventory: half-open → open',
      'inventory: open → half-open',
      'inventory: half-open → closed',
    ]);
    b.close();
  });
});
