import { z } from 'zod';
import { defineCommand, defineEvent } from '../contracts/contracts.js';
import { service } from '../runtime/service.js';

const noop = async () => undefined;

/** An app at its baseline, then two next releases: one with safe changes only, one with a breaking change. */
const Place = defineCommand('orders.place', {
  input: z.object({ sku: z.string() }),
  output: z.object({ orderId: z.string() }),
});
const Placed = defineEvent('orders.placed', { data: z.object({ orderId: z.string() }) });

export const released = [
  service('orders').command(Place, async () => ({ orderId: 'o-1' }), { publishes: [Placed] }),
  service('shipping').onEvent(Placed, noop),
];

const PlaceWithNote = defineCommand('orders.place', {
  input: z.object({ sku: z.string(), note: z.string().optional() }),
  output: z.object({ orderId: z.string() }),
});
export const safeRelease = [
  service('orders').command(PlaceWithNote, async () => ({ orderId: 'o-1' }), { publishes: [Placed] }),
  service('shipping').onEvent(Placed, noop),
];

const PlacedWithEmail = defineEvent('orders.placed', { data: z.object({ orderId: z.string(), email: z.string() }) });
export const breakingRelease = [
  service('orders').command(PlaceWithNote, async () => ({ orderId: 'o-1' }), { publishes: [PlacedWithEmail] }),
  service('shipping').onEvent(PlacedWithEmail, noop),
];
