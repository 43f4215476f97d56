import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand, defineEvent } from '../contracts/contracts.js';
import { NonRetryableError } from '../errors/errors.js';
import { silentLogger } from '../log/logger.js';
import { createApp, type App } from '../runtime/app.js';
import { eventually } from '../testing/harness.js';
import { MemoryBroker, MemoryTransport } from '../transport/memory/memory-broker.js';
import { ActivityHub, type Activity } from './activity.js';

const Place = defineCommand('orders.place', {
  service: 'orders',
  input: z.object({ id: z.string(), fail: z.boolean().optional() }),
  output: z.object({ ok: z.boolean() }),
});
const Placed = defineEvent('orders.placed', { service: 'orders', data: z.object({ id: z.string() }) });

/** An app whose command publishes orders.placed and whose `mailer` group dead-letters ids starting with 'x'. */
function shop(): { app: App; mailed: string[] } {
  const mailed: string[] = [];
  const app = createApp({
    broker: new MemoryTransport({ broker: new MemoryBroker() }),
    logger: silentLogger,
    name: 'orders',
    retry: { attempts: 2, immediateRetries: 1 },
  });
  app.command(
    Place,
    (input, ctx) => {
      if (input.fail) throw new NonRetryableError('declined');
      void ctx.publish(Placed, { id: input.id });
      return { ok: true };
    },
    { publishes: [Placed] },
  );
  app.onEvent(
    Placed,
    (event) => {
      if (event.id.startsWith('x')) throw new Error(`cannot mail ${event.id}`);
      mailed.push(event.id);
    },
    { group: 'mailer' },
  );
  return { app, mailed };
}

describe('app.activity', () => {
  it('reports command runs, published events, event runs, retries and dead letters while someone listens', async () => {
    const { app } = shop();
    const seen: Activity[] = [];
    const unsubscribe = app.activity.subscribe((a) => seen.push(a));
    await app.start();
    try {
      await app.call(Place, { id: 'a' });
      await expect(app.call(Place, { id: 'b', fail: true })).rejects.toThrow('declined');
      await app.call(Place, { id: 'x1' });
      await eventually('the dead letter reported', () => seen.some((a) => a.kind === 'dead-letter'));
      const runs = seen.filter((a) => a.kind === 'handler');
      expect(runs.filter((r) => r.handlerKind === 'command').map((r) => [r.outcome, r.error])).toEqual([
        ['ok', undefined],
        ['error', 'TANDEM_NON_RETRYABLE'],
        ['ok', undefined],
      ]);
      expect(seen.filter((a) => a.kind === 'published').map((a) => a.kind === 'published' && a.service)).toEqual([
        'orders',
        'orders',
      ]);
      const events = runs.filter((r) => r.handlerKind === 'event');
      expect(events.map((r) => r.outcome).sort()).toEqual(['dead-letter', 'ok', 'retry']);
      expect(events.every((r) => r.group === 'mailer' && r.type === 'orders.placed' && r.durationMs >= 0)).toBe(true);
      const retry = seen.find((a) => a.kind === 'retry');
      expect(retry).toMatchObject({ group: 'mailer', type: 'orders.placed', attempt: 1, retry: 'immediate' });
      const dead = seen.find((a) => a.kind === 'dead-letter');
      expect(dead).toMatchObject({ group: 'mailer', type: 'orders.placed', reason: 'attempts-exhausted' });
      unsubscribe();
      const count = seen.length;
      await app.call(Place, { id: 'c' });
      expect(seen).toHaveLength(count);
    } finally {
      await app.stop();
    }
  });

  it('drops a listener that throws, and the handler it watched still answers', async () => {
    const { app, mailed } = shop();
    const kept: Activity[] = [];
    app.activity.subscribe(() => {
      throw new Error('a broken dashboard');
    });
    app.activity.subscribe((a) => kept.push(a));
    await app.start();
    try {
      await expect(app.call(Place, { id: 'a' })).resolves.toEqual({ ok: true });
      await expect(app.call(Place, { id: 'b' })).resolves.toEqual({ ok: true });
      await eventually('both mailed', () => mailed.length === 2);
      expect(kept.filter((a) => a.kind === 'handler' && a.handlerKind === 'command')).toHaveLength(2);
    } finally {
      await app.stop();
    }
  });
});

describe('ActivityHub', () => {
  it('is not listening without listeners, so emitters build nothing', () => {
    const hub = new ActivityHub();
    expect(hub.listening).toBe(false);
    const off = hub.subscribe(() => undefined);
    expect(hub.listening).toBe(true);
    off();
    expect(hub.listening).toBe(false);
  });

  it('removes a throwing listener and keeps delivering to the others', () => {
    const hub = new ActivityHub(silentLogger);
    const got: string[] = [];
    hub.subscribe(() => {
      throw new Error('boom');
    });
    hub.subscribe((a) => got.push(a.kind));
    const record: Activity = { kind: 'breaker', at: 0, target: 'billing', from: 'closed', to: 'open' };
    hub.emit(record);
    hub.emit(record);
    expect(got).toEqual(['breaker', 'breaker']);
    expect(hub.listening).toBe(true);
  });
});
