import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NonRetryableError, silentLogger, UnavailableError } from '@tandem/core';
import { main as tandem } from '@tandem/core/cli';
import { eventually } from '@tandem/core/testing';
import { buildShop, type Shop } from '../src/shop.js';
import type { Mailer } from '../src/services/notifications.js';
import { anOrder, baseOf, getJson, placeOrder, untilShippedAndNotified } from './support.js';

/** A mail relay the test can take down, and whose bouncing domains it can change. */
function controllableMailer() {
  const state = { down: false, bouncing: new Set(['bounce.test']) };
  const mailer: Mailer = {
    async send(to) {
      if (state.down) throw new UnavailableError('mail relay unreachable');
      if (state.bouncing.has(to.slice(to.lastIndexOf('@') + 1)))
        throw new NonRetryableError(`mail relay refused ${to}`);
    },
  };
  return { state, mailer };
}

const notesOf = (base: string, orderId: string) =>
  getJson<{ notifications: Array<{ kind: string }> }>(`${base}/queries/notifications.list?orderId=${orderId}`);

describe('shop: a failing notifications service, dead letters and replay, restarts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-shop-'));
  const broker = `memory://shop-outage-${process.pid}`;
  const env = {
    TANDEM_BROKER_URL: broker,
    TANDEM_STORE_URL: `pglite://${dir}`,
    TANDEM_HTTP_PORT: '0',
    TANDEM_HTTP_HOST: '127.0.0.1',
  };
  const { state, mailer } = controllableMailer();
  let shop: Shop | undefined;
  afterAll(async () => {
    await shop?.app.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps taking orders while notifications fail, and catches up when mail is back', async () => {
    shop = await buildShop(env, { mailer, logger: silentLogger });
    await shop.app.start();
    const base = baseOf(shop);
    state.down = true;
    const placed = await Promise.all(Array.from({ length: 5 }, () => placeOrder(base, anOrder())));
    for (const p of placed) expect(p.body.status).toBe('accepted');
    // Shipping is not held up by the failing notifications group.
    await eventually('all shipped', async () => {
      const orders = await Promise.all(
        placed.map((p) => getJson<{ status: string }>(`${base}/orders/${p.body.orderId}`)),
      );
      return orders.every((o) => o.body.status === 'shipped');
    });
    expect((await notesOf(base, placed[0]!.body.orderId)).body.notifications).toEqual([]);
    state.down = false;
    for (const p of placed) await untilShippedAndNotified(base, p.body.orderId, 15_000);
  }, 30_000);

  it('dead-letters a poison event after its attempts, and `tandem dead-letters replay` delivers it after the fix', async () => {
    const base = baseOf(shop!);
    const placed = await placeOrder(base, anOrder({ email: 'grace@bounce.test' }));
    expect(placed.body.status).toBe('accepted');
    const out: string[] = [];
    // stderr apart: on memory:// the CLI adds a note there on where an app's dead letters live.
    const notes: string[] = [];
    const io = {
      stdout: { write: (t: string) => out.push(t) },
      stderr: { write: (t: string) => notes.push(t) },
      env: {},
    };
    await eventually(
      'two dead letters in the notifications group',
      async () => {
        out.length = 0;
        expect(
          await tandem(['dead-letters', 'list', '--group', 'notifications', '--broker', broker, '--json'], io),
        ).toBe(0);
        return out.join('').trim().split('\n').filter(Boolean).length === 2;
      },
      10_000,
      100,
    );
    const letters = out
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { topic: string; attempts: number });
    expect(letters.map((l) => l.topic).sort()).toEqual(['orders.placed', 'shipping.scheduled']);
    // A bounce is permanent: dead-lettered on the first attempt, no retry loop.
    expect(letters.every((l) => l.attempts === 1)).toBe(true);

    state.bouncing.clear();
    out.length = 0;
    expect(await tandem(['dead-letters', 'replay', '--group', 'notifications', '--all', '--broker', broker], io)).toBe(
      0,
    );
    expect(out.join('')).toMatch(/replayed 2 of 2/);
    await untilShippedAndNotified(base, placed.body.orderId, 5_000);
  });

  it('keeps its state across a restart (PGlite in a folder)', async () => {
    const before = await placeOrder(baseOf(shop!), anOrder({ items: [{ sku: 'mug', qty: 1 }] }));
    await untilShippedAndNotified(baseOf(shop!), before.body.orderId);
    await shop!.app.stop();
    shop = await buildShop(env, { mailer, logger: silentLogger });
    await shop.app.start();
    const after = await getJson<{ status: string; customer: string }>(`${baseOf(shop)}/orders/${before.body.orderId}`);
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ status: 'shipped', customer: 'ada' });
  });
});
