import { describe, expect, it } from 'vitest';
import { ExclusiveLane } from './exclusive-lane.js';

describe('ExclusiveLane', () => {
  it('lets shared deliveries in at once while nobody waits to run alone', () => {
    const lane = new ExclusiveLane();
    expect(lane.enter(false)).toBeUndefined();
    expect(lane.enter(false)).toBeUndefined();
  });

  it('runs a lone delivery only after the shared ones left, and holds back later ones', async () => {
    const lane = new ExclusiveLane();
    const order: string[] = [];
    lane.enter(false);
    lane.enter(false);
    const alone = lane.enter(true)!.then(() => order.push('alone'));
    const later = lane.enter(false)!.then(() => order.push('later'));
    await Promise.resolve();
    expect(order).toEqual([]);
    lane.leave(false);
    await Promise.resolve();
    expect(order).toEqual([]);
    lane.leave(false);
    await alone;
    expect(order).toEqual(['alone']);
    lane.leave(true);
    await later;
    expect(order).toEqual(['alone', 'later']);
  });

  it('serves lone deliveries one at a time, in order', async () => {
    const lane = new ExclusiveLane();
    const order: number[] = [];
    expect(lane.enter(true)).toBeUndefined();
    const second = lane.enter(true)!.then(() => order.push(2));
    const shared = [lane.enter(false)!.then(() => order.push(3)), lane.enter(false)!.then(() => order.push(4))];
    lane.leave(true);
    await second;
    expect(order).toEqual([2]);
    lane.leave(true);
    await Promise.all(shared);
    expect(order).toEqual([2, 3, 4]);
  });
});
