import { afterEach, describe, expect, it } from 'vitest';
import type { Activity, ActivityHub } from '@tandem/core';
import { getJson, Pay, startBilling, type Started } from './fixtures.js';

let started: Started | undefined;
afterEach(async () => {
  await started?.app.stop();
  started = undefined;
});

/** Reads server-sent events from `res` until `done` says so; returns the `activity` events' data. */
async function readEvents(
  res: Response,
  done: (batches: { records: Activity[]; dropped: number }[]) => boolean,
): Promise<{ batches: { records: Activity[]; dropped: number }[]; ended: boolean }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const batches: { records: Activity[]; dropped: number }[] = [];
  let text = '';
  for (;;) {
    const { value, done: ended } = await reader.read();
    if (ended) return { batches, ended: true };
    text += decoder.decode(value, { stream: true });
    let end;
    while ((end = text.indexOf('\n\n')) >= 0) {
      const frame = text.slice(0, end);
      text = text.slice(end + 2);
      const data = frame.split('\n').find((line) => line.startsWith('data: '));
      if (frame.startsWith('event: activity') && data) batches.push(JSON.parse(data.slice(6)));
    }
    if (done(batches)) {
      await reader.cancel();
      return { batches, ended: false };
    }
  }
}

describe('the console API: live stream', () => {
  it('sends the app activity as server-sent events', async () => {
    started = await startBilling();
    const res = await fetch(`${started.api}/live`);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const app = started.app;
    // The stream is subscribed once its headers are sent: what happens from then on is in it.
    const calls = (async () => {
      for (let i = 0; i < 3; i++) await app.call(Pay, { orderId: `o-${i}` });
    })();
    const { batches } = await readEvents(
      res,
      (b) => b.flatMap((x) => x.records).filter((r) => r.kind === 'handler' && r.handlerKind === 'event').length === 3,
    );
    await calls;
    const records = batches.flatMap((b) => b.records);
    expect(records.filter((r) => r.kind === 'handler' && r.handlerKind === 'command')).toHaveLength(3);
    expect(records.filter((r) => r.kind === 'published').map((r) => r.kind === 'published' && r.type)).toEqual([
      'billing.paid',
      'billing.paid',
      'billing.paid',
    ]);
  });

  it('is closed when the app stops', async () => {
    started = await startBilling({ live: { heartbeatMs: 50 } });
    const res = await fetch(`${started.api}/live`);
    const reading = readEvents(res, () => false);
    await started.app.stop();
    started = undefined;
    const { ended } = await reading;
    expect(ended).toBe(true);
  });

  it('sends heartbeats on an idle stream', async () => {
    started = await startBilling({ live: { heartbeatMs: 50 } });
    const res = await fetch(`${started.api}/live`);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes(': heartbeat\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(text.startsWith('retry: 2000\n\n')).toBe(true);
  });

  it('leaves the app without an activity listener until someone asks for statistics', async () => {
    started = await startBilling();
    const hub = started.app.activity as ActivityHub;
    await getJson(`${started.api}/model`);
    await getJson(`${started.api}/dead-letters`);
    expect(hub.listening).toBe(false);
    await getJson(`${started.api}/stats`);
    expect(hub.listening).toBe(true);
  });

  it('gives handler statistics and flow-edge rates once someone looks', async () => {
    started = await startBilling({ stats: { tickMs: 100, windowMs: 30_000 } });
    // The first look starts the statistics; what happened before it is not counted.
    await getJson(`${started.api}/stats`);
    for (let i = 0; i < 5; i++) await started.app.call(Pay, { orderId: `o-${i}` });
    let stats: { handlers: { handler: string; runs: number; p50Ms?: number }[]; edges: { delivered: unknown[] } };
    const deadline = Date.now() + 10_000;
    do {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stats = (await getJson<typeof stats>(`${started.api}/stats`)).body;
    } while (stats.handlers.find((h) => h.handler === 'billing.paid')?.runs !== 5 && Date.now() < deadline);
    expect(stats.handlers.find((h) => h.handler === 'billing.pay')).toMatchObject({ runs: 5 });
    expect(stats.handlers.find((h) => h.handler === 'billing.paid')?.p50Ms).toBeGreaterThanOrEqual(0);
    expect(stats.edges.delivered).toEqual([expect.objectContaining({ type: 'billing.paid', group: 'ledger' })]);
  });
});
