/**
 * A handler that ignores its abort signal and never returns must not keep close() (and
 * with it app.stop()) waiting for ever: past `closeTimeoutMs` the consumer gives up on it,
 * leaves its message unacked so RabbitMQ hands it to the next consumer, and still acks
 * what finished.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp, defineEvent, silentLogger, type App } from '@tandem/core';
import { bodyOf, conformanceMessage, eventually, sleep, uniqueName } from '@tandem/core/testing';
import { sharedBrokerUse } from './support/broker-lock.js';
import { rabbitAvailable, transportFactory } from './support/rabbitmq.js';

const available = await rabbitAvailable();
const CLOSE_TIMEOUT_MS = 500;
const transports = transportFactory({ closeTimeoutMs: CLOSE_TIMEOUT_MS });
const never = () => new Promise<never>(() => undefined);

/** How long `work` took, or Infinity when it had not finished after `limitMs`. */
async function timed(work: Promise<unknown>, limitMs: number): Promise<number> {
  const started = Date.now();
  const finished = await Promise.race([work.then(() => true), sleep(limitMs).then(() => false)]);
  return finished ? Date.now() - started : Infinity;
}

describe.skipIf(!available)('rabbitmq close() with a handler that never returns', () => {
  sharedBrokerUse();
  const apps: App[] = [];
  afterAll(async () => {
    await Promise.allSettled(apps.map((app) => app.stop()));
    await transports.cleanUp();
  });

  it('returns after closeTimeoutMs, acks what finished and hands the stuck message back', async () => {
    const topic = uniqueName('bound.topic');
    const group = uniqueName('bound');
    const first = transports.create();
    await first.connect();
    const finished: number[] = [];
    let stuck = 0;
    await (
      await first.subscribe({ topics: [topic], group, concurrency: 4 }, async (m) => {
        const { n } = bodyOf<{ n: number }>(m);
        if (n === 0) {
          stuck++;
          return never();
        }
        finished.push(n);
        return { kind: 'ack' };
      })
    ).ready;
    await first.publish([0, 1, 2, 3].map((n) => conformanceMessage(topic, { n }, { key: `k${n}` })));
    await eventually('three finished and one stuck', () => finished.length === 3 && stuck === 1);

    const took = await timed(first.close(), 10_000);
    expect(took).toBeGreaterThanOrEqual(CLOSE_TIMEOUT_MS - 20);
    expect(took).toBeLessThan(CLOSE_TIMEOUT_MS + 2_000);

    const second = transports.create();
    await second.connect();
    const again: Array<{ n: number; deliveryCount: number | undefined }> = [];
    await second.subscribe({ topics: [topic], group, concurrency: 4 }, async (m) => {
      again.push({ n: bodyOf<{ n: number }>(m).n, deliveryCount: m.deliveryCount });
      return { kind: 'ack' };
    });
    await eventually('the stuck message delivered again', () => again.length >= 1);
    await sleep(300);
    // Only the stuck one comes back; it was a first delivery, so its run was not tracked.
    expect(again).toEqual([{ n: 0, deliveryCount: 1 }]);
  });

  it('lets app.stop() return within its bound, and the next instance gets the message', async () => {
    const Happened = defineEvent(`bound.app-${randomBytes(4).toString('hex')}`, { data: z.object({ n: z.number() }) });
    const group = uniqueName('bound-app');
    let stuck = 0;
    const app = createApp({ broker: transports.create(), logger: silentLogger, shutdownTimeoutMs: 200 }).onEvent(
      Happened,
      async () => {
        stuck++;
        // Ignores ctx.signal, as a handler blocked on a call without a timeout would.
        await never();
      },
      { group },
    );
    apps.push(app);
    await app.start();
    await app.publish(Happened, { n: 1 });
    await eventually('the handler stuck', () => stuck === 1);
    const took = await timed(app.stop(), 10_000);
    expect(took).toBeLessThan(3_000);

    const handled: number[] = [];
    const next = createApp({ broker: transports.create(), logger: silentLogger }).onEvent(
      Happened,
      async ({ n }) => {
        handled.push(n);
      },
      { group },
    );
    apps.push(next);
    await next.start();
    await eventually('the next instance handled it', () => handled.length === 1);
  });
});
