import { eventually } from '@tandem/core/testing';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { AdminOptions } from '../src/index.js';
import { Placed, startShop, type Shop } from './replay-fixtures.js';

let shop: Shop | undefined;
afterEach(async () => {
  await shop?.stop();
  shop = undefined;
});

async function started(admin: AdminOptions | undefined, orders: number): Promise<Shop> {
  shop = await startShop(admin, orders);
  return shop;
}

function replayUrl(s: Shop, params: Record<string, string | string[]>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params))
    for (const one of Array.isArray(value) ? value : [value]) query.append(name, one);
  return `${s.url}/admin/replay?${query}`;
}

/** POSTs and reads the NDJSON answer line by line. */
async function post(url: string, headers: Record<string, string> = {}) {
  const res = await request(url, { method: 'POST', headers });
  const text = await res.body.text();
  const lines =
    res.statusCode === 200
      ? text
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>)
      : [];
  return { status: res.statusCode, contentType: res.headers['content-type'], text, lines };
}

describe('POST /admin/replay', () => {
  it('replays to that group only, with the original ids, streaming progress then the result', async () => {
    const s = await started({ replay: true }, 9);
    const since = new Date(s.since).toISOString();
    const answer = await post(replayUrl(s, { group: 'analytics', type: Placed.name, since, batch: '4' }));
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('application/x-ndjson');
    const progress = answer.lines.slice(0, -1);
    expect(progress.map((p) => [p.total, p.delivered])).toEqual([
      [9, 0],
      [9, 4],
      [9, 8],
      [9, 9],
    ]);
    expect(answer.lines.at(-1)).toEqual({
      result: {
        group: 'analytics',
        history: 'the in-process outbox',
        matched: 9,
        delivered: 9,
        dryRun: false,
        oldestAvailable: expect.any(String),
      },
    });
    await eventually('analytics handled the 9 replayed orders', () => s.analytics.n.length === 9);
    expect([...s.analytics.ids].sort()).toEqual([...s.billing.ids].sort());
    // Per key in the order they were placed (keys are n % 3).
    for (const key of [0, 1, 2])
      expect(s.analytics.n.filter((n) => n % 3 === key)).toEqual(s.billing.n.filter((n) => n % 3 === key));
    // One live order after it: once billing has it, whatever the replay had leaked to billing came first.
    await s.place(100);
    await eventually('billing handled the live order', () => s.billing.n.includes(100));
    expect(s.billing.n).toHaveLength(10);
  });

  it('stops between batches when the client goes away', { timeout: 30_000 }, async () => {
    const s = await started({ replay: true }, 20);
    const since = new Date(s.since).toISOString();
    const gone = new AbortController();
    // 20 events at 4/s in batches of 1: five seconds, were it not stopped.
    const res = await request(replayUrl(s, { group: 'analytics', type: Placed.name, since, rate: '4' }), {
      method: 'POST',
      signal: gone.signal,
    });
    let seen = '';
    await expect(
      (async () => {
        for await (const chunk of res.body) {
          seen += String(chunk);
          if (/"delivered":2\b/.test(seen)) gone.abort();
        }
      })(),
    ).rejects.toThrow();
    await s.place(100);
    await eventually('analytics handled the live order', () => s.analytics.n.includes(100));
    // Give a replay that did not stop the time to deliver the rest (at 4/s, 4.5 s).
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const replayed = s.analytics.n.filter((n) => n !== 100);
    expect(replayed.length).toBeGreaterThanOrEqual(2);
    expect(replayed.length).toBeLessThanOrEqual(4);
  });

  it('a dry run answers the count alone and delivers nothing', async () => {
    const s = await started({ replay: true }, 3);
    const answer = await post(
      replayUrl(s, { group: 'analytics', type: Placed.name, since: new Date(s.since).toISOString(), dryRun: 'true' }),
    );
    expect(answer.lines).toEqual([
      {
        result: expect.objectContaining({ group: 'analytics', matched: 3, delivered: 0, dryRun: true }),
      },
    ]);
    // A live order afterwards: once analytics has it, whatever the dry run had sent would have come first.
    await s.place(100);
    await eventually('analytics handled the live order', () => s.analytics.n.includes(100));
    expect(s.analytics.n).toEqual([100]);
  });

  it('ends with the error when the replay fails: a group that never subscribed', async () => {
    const s = await started({ replay: true }, 2);
    const answer = await post(
      replayUrl(s, { group: 'nobody', type: Placed.name, since: new Date(s.since).toISOString() }),
    );
    expect(answer.status).toBe(200);
    expect(answer.lines.at(-1)).toEqual({
      error: {
        code: 'TANDEM_CONFIG',
        message:
          "memory broker: no consumer group 'nobody' has subscribed in this process; start the app that runs it first",
      },
    });
  });

  it('refuses a malformed query with a problem naming the parameter', async () => {
    const s = await started({ replay: true }, 1);
    const since = new Date(s.since).toISOString();
    const cases: Array<[Record<string, string | string[]>, string]> = [
      [{ type: Placed.name, since }, 'replay: pass group=G, the consumer group to replay to'],
      [{ group: 'analytics', since }, 'replay: pass type=T (repeatable), the event types to replay'],
      [{ group: 'analytics', type: Placed.name }, 'replay: pass since=ISO, where the window starts'],
      [
        { group: 'analytics', type: Placed.name, since: '2h' },
        "replay: since must be an ISO 8601 time (2026-12-01T00:00:00Z), got '2h'",
      ],
      [{ group: 'analytics', type: Placed.name, since, until: since }, 'must be later than since'],
      [
        { group: 'analytics', type: Placed.name, since, rate: '-1' },
        "replay: rate must be a positive number, got '-1'",
      ],
      [
        { group: 'analytics', type: Placed.name, since, batch: '0' },
        "replay: batch must be a positive whole number, got '0'",
      ],
      [
        { group: 'analytics', type: Placed.name, since, dryRun: 'yes' },
        "replay: dryRun must be true or false, got 'yes'",
      ],
      [
        { group: 'analytics', type: Placed.name, since, from: 'kafka' },
        "replay: from must be outbox or broker, got 'kafka'",
      ],
    ];
    for (const [params, detail] of cases) {
      const res = await request(replayUrl(s, params), { method: 'POST' });
      expect(res.statusCode, detail).toBe(400);
      const problem = (await res.body.json()) as { code: string; detail: string };
      expect(problem.code).toBe('TANDEM_MALFORMED_REQUEST');
      expect(problem.detail).toContain(detail);
    }
    const get = await request(replayUrl(s, { group: 'analytics', type: Placed.name, since }));
    expect(get.statusCode).toBe(405);
    expect(get.headers.allow).toBe('POST');
    await get.body.dump();
    expect(s.analytics.n).toEqual([]);
  });

  it('is not served unless turned on, and answers only what the authorize hook allows', async () => {
    const off = await started({ deadLetters: true }, 1);
    const since = new Date(off.since).toISOString();
    const notServed = await request(replayUrl(off, { group: 'analytics', type: Placed.name, since }), {
      method: 'POST',
    });
    expect(notServed.statusCode).toBe(404);
    expect(((await notServed.body.json()) as { code: string }).code).toBe('TANDEM_ROUTE_NOT_FOUND');
    await off.stop();
    shop = undefined;

    const guarded = await started({ replay: true, authorize: (req) => req.headers['x-admin-token'] === 's3cret' }, 1);
    const url = replayUrl(guarded, {
      group: 'analytics',
      type: Placed.name,
      since: new Date(guarded.since).toISOString(),
    });
    const refused = await request(url, { method: 'POST' });
    expect(refused.statusCode).toBe(403);
    expect(((await refused.body.json()) as { code: string }).code).toBe('TANDEM_FORBIDDEN');
    const allowed = await post(url, { 'x-admin-token': 's3cret' });
    expect(allowed.lines.at(-1)).toMatchObject({ result: { delivered: 1 } });
    await eventually('analytics handled the replayed order', () => guarded.analytics.n.length === 1);
  });
});
