import { afterEach, describe, expect, it, vi } from 'vitest';
import { IntakeBound, type HeldBatch } from './intake-bound.js';

function fakeBatch(): HeldBatch & { running: boolean; beats: number } {
  const batch = {
    running: true,
    beats: 0,
    isRunning: () => batch.running,
    isStale: () => false,
    heartbeat: async () => {
      batch.beats++;
    },
  };
  return batch;
}

/** Whether `promise` has settled after the microtasks queued so far. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  await vi.advanceTimersByTimeAsync(0);
  return done;
}

describe('IntakeBound', () => {
  afterEach(() => vi.useRealTimers());

  it('holds a batch until the backlog has halved, heartbeating meanwhile', async () => {
    vi.useFakeTimers();
    let buffered = 10;
    const bound = new IntakeBound({ max: 10, buffered: () => buffered, tickMs: 100 });
    expect(bound.full).toBe(true);
    const batch = fakeBatch();
    const held = bound.hold(batch, () => false);
    await vi.advanceTimersByTimeAsync(350);
    expect(batch.beats).toBe(3);
    buffered = 6;
    bound.relieve(1); // 6 - 1 finishing is at most half of 10
    expect(await settled(held)).toBe(true);
  });

  it('does not let go while the backlog is above half', async () => {
    vi.useFakeTimers();
    let buffered = 10;
    const bound = new IntakeBound({ max: 10, buffered: () => buffered, tickMs: 100 });
    const held = bound.hold(fakeBatch(), () => false);
    buffered = 7;
    bound.relieve(1);
    await vi.advanceTimersByTimeAsync(500);
    expect(await settled(held)).toBe(false);
    bound.release();
    expect(await settled(held)).toBe(true);
  });

  it('lets go within a tick once the consumer stops or the subscription lets go', async () => {
    vi.useFakeTimers();
    const bound = new IntakeBound({ max: 1, buffered: () => 5, tickMs: 100 });
    const stopped = fakeBatch();
    const heldStopped = bound.hold(stopped, () => false);
    let letGo = false;
    const heldLetGo = bound.hold(fakeBatch(), () => letGo);
    stopped.running = false;
    letGo = true;
    await vi.advanceTimersByTimeAsync(100);
    expect(await settled(heldStopped)).toBe(true);
    expect(await settled(heldLetGo)).toBe(true);
  });

  it('throws what the heartbeat throws (a rebalance), so kafkajs rejoins', async () => {
    vi.useFakeTimers();
    const bound = new IntakeBound({ max: 1, buffered: () => 5, tickMs: 100 });
    const batch = fakeBatch();
    batch.heartbeat = () => Promise.reject(new Error('The group is rebalancing, so a rejoin is needed'));
    const held = bound.hold(batch, () => false);
    const outcome = held.then(
      () => 'returned',
      (error: Error) => error.message,
    );
    await vi.advanceTimersByTimeAsync(100);
    expect(await outcome).toMatch(/rebalancing/);
  });
});
