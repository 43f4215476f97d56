import { describe, expect, it } from 'vitest';
import { InstanceHealth, resolvePassiveHealth } from './balancer-health.js';

function health(now: { t: number }) {
  return new InstanceHealth(
    resolvePassiveHealth({ consecutiveFailures: 3, ejectionMs: 100, maxEjectionMs: 300 }),
    () => now.t,
  );
}

describe('passive instance health', () => {
  it('ejects after the configured faults in a row, and an answer in between resets the count', () => {
    const clock = { t: 0 };
    const h = health(clock);
    h.failed(h.begin());
    h.failed(h.begin());
    h.succeeded();
    h.failed(h.begin());
    h.failed(h.begin());
    expect(h.state).toBe('healthy');
    expect(h.failed(h.begin())).toBe(100);
    expect(h.state).toBe('ejected');
    expect(h.available()).toBe(false);
  });

  it('lets one probe through when the ejection ends; a failed probe doubles the period up to the cap', () => {
    const clock = { t: 0 };
    const h = health(clock);
    for (let i = 0; i < 3; i++) h.failed(h.begin());
    clock.t = 100;
    expect(h.available()).toBe(true);
    const probe = h.begin();
    expect(probe).toBe(true);
    expect(h.available()).toBe(false);
    expect(h.failed(probe)).toBe(200);
    clock.t = 300;
    expect(h.failed(h.begin())).toBe(300);
    clock.t = 600;
    expect(h.failed(h.begin())).toBe(300);
  });

  it('ignores faults of calls sent before the ejection, and rejoins on any answer', () => {
    const clock = { t: 0 };
    const h = health(clock);
    const earlier = [h.begin(), h.begin(), h.begin(), h.begin()];
    for (const probe of earlier.slice(0, 3)) h.failed(probe);
    expect(h.failed(earlier[3]!)).toBeUndefined();
    clock.t = 100;
    const probe = h.begin();
    h.succeeded();
    expect(probe).toBe(true);
    expect(h.state).toBe('healthy');
    expect(h.available()).toBe(true);
  });

  it('frees the probe slot when the probe ends without an answer or a fault', () => {
    const clock = { t: 0 };
    const h = health(clock);
    for (let i = 0; i < 3; i++) h.failed(h.begin());
    clock.t = 100;
    h.released(h.begin());
    expect(h.available()).toBe(true);
  });

  it('a refusal ejects at once, and a refusing instance is probed every ejectionMs however long it refuses', () => {
    const clock = { t: 0 };
    const h = health(clock);
    expect(h.refused(h.begin())).toBe(100);
    expect(h.available()).toBe(false);
    for (let i = 1; i <= 5; i++) {
      clock.t = i * 100;
      expect(h.refused(h.begin())).toBe(100);
    }
    clock.t = 600;
    h.succeeded();
    expect(h.state).toBe('healthy');
  });
});
