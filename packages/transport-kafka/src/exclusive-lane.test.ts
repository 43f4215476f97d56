import { afterEach, describe, expect, it, vi } from 'vitest';
import { ExclusiveLane } from './exclusive-lane.js';

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('ExclusiveLane', () => {
  afterEach(() => vi.useRealTimers());

  it('lets shared deliveries in at once while nobody waits to run alone', () => {
    const lane = new ExclusiveLane(1_000);
    expect(lane.enterShared()).toBeUndefined();
    expect(lane.enterShared()).toBeUndefined();
  });

  it('runs a lone delivery only after the shared ones left, and holds back later ones', async () => {
    const lane = new ExclusiveLane(60_000);
    const order: string[] = [];
    lane.enterShared();
    lane.enterShared();
    let leave: (() => void) | undefined;
    const alone = lane.enterAlone().then((l) => ((leave = l), order.push('alone')));
    const later = lane.enterShared()!.then(() => order.push('later'));
    lane.leaveShared();
    await settle();
    expect(order).toEqual([]);
    lane.leaveShared();
    await alone;
    expect(order).toEqual(['alone']);
    leave!();
    await later;
    expect(order).toEqual(['alone', 'later']);
  });

  it('serves lone deliveries one at a time, in order', async () => {
    const lane = new ExclusiveLane(60_000);
    const order: number[] = [];
    const first = await lane.enterAlone();
    let leaveSecond: (() => void) | undefined;
    const second = lane.enterAlone().then((l) => ((leaveSecond = l), order.push(2)));
    const shared = [lane.enterShared()!.then(() => order.push(3)), lane.enterShared()!.then(() => order.push(4))];
    first();
    await second;
    expect(order).toEqual([2]);
    leaveSecond!();
    await Promise.all(shared);
    expect(order).toEqual([2, 3, 4]);
  });

  it('does not let a hung handler stop the others for longer than its patience', async () => {
    vi.useFakeTimers();
    const seen: string[] = [];
    const lane = new ExclusiveLane(1_000, (what) => seen.push(what));
    lane.enterShared(); // hangs, never leaves
    let alone = false;
    const entered = lane.enterAlone().then((leave) => ((alone = true), leave));
    await vi.advanceTimersByTimeAsync(999);
    expect(alone).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const leave = await entered;
    expect(seen).toEqual(['waited']);
    // The lone delivery hangs too: shared ones go ahead after its patience.
    let shared = false;
    void lane.enterShared()!.then(() => (shared = true));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(shared).toBe(true);
    expect(seen).toEqual(['waited', 'ran']);
    leave(); // leaving late releases nothing twice
    expect(lane.enterShared()).toBeUndefined();
  });
});
