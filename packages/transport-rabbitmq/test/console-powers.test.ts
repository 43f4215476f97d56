/**
 * The console on a RabbitMQ app: lag answers the group's backlog as a number (not
 * 'unknown'), and the dead-letter page may discard (canDiscard) and does, through the API.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp, defineEvent, NonRetryableError, silentLogger, type App } from '@tandem/core';
import { eventually, uniqueName } from '@tandem/core/testing';
import { consoleApi, CSRF_HEADER } from '@tandem/console';
import { httpServer } from '@tandem/transport-http';
import { sharedBrokerUse } from './support/broker-lock.js';
import { rabbitAvailable, transportFactory } from './support/rabbitmq.js';

const available = await rabbitAvailable();
const transports = transportFactory();

async function getJson<T>(url: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as T };
}

describe.skipIf(!available)('the console on RabbitMQ', () => {
  sharedBrokerUse();
  const apps: App[] = [];
  afterAll(async () => {
    await Promise.allSettled(apps.map((app) => app.stop()));
    await transports.cleanUp();
  });

  it('answers lag from the broker and discards a chosen dead letter', { timeout: 30_000 }, async () => {
    const Paid = defineEvent(`console.paid-${randomBytes(4).toString('hex')}`, {
      service: 'billing',
      data: z.object({ orderId: z.string() }),
    });
    const group = uniqueName('ledger');
    const server = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger, mounts: [consoleApi()] });
    const app = createApp({ broker: transports.create(), http: server, logger: silentLogger, name: 'billing' });
    app.onEvent(
      Paid,
      ({ orderId }) => {
        throw new NonRetryableError(`card declined for ${orderId}`);
      },
      { group },
    );
    apps.push(app);
    await app.start();
    const api = `${server.url!}/_tandem/api`;

    await app.publish(Paid, { orderId: 'o-1' });
    await app.publish(Paid, { orderId: 'o-2' });
    type Letters = { canDiscard: boolean; groups: Array<{ deadLetters: Array<{ id: string }> }> };
    const letters = async () => (await getJson<Letters>(`${api}/dead-letters?group=${group}`)).body;
    await eventually('two dead letters', async () => (await letters()).groups[0]?.deadLetters.length === 2);
    const lag = await getJson<{ broker: string; groups: Array<{ group: string; waiting: unknown }> }>(`${api}/lag`);
    expect(lag.body).toEqual({ broker: 'rabbitmq', groups: [{ group, waiting: 0 }] });

    const listed = await letters();
    expect(listed.canDiscard).toBe(true);
    const [first, second] = listed.groups[0]!.deadLetters;
    const token = (await getJson<{ token: string }>(`${api}/csrf`)).body.token;
    const discarded = await getJson(`${api}/dead-letters/discard?group=${group}&id=${first!.id}`, {
      method: 'POST',
      headers: { [CSRF_HEADER]: token },
    });
    expect(discarded).toEqual({ status: 200, body: { group, discarded: 1, of: 1 } });
    expect((await letters()).groups[0]!.deadLetters.map((letter) => letter.id)).toEqual([second!.id]);
  });
});
