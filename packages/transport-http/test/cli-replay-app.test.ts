import { createApp, MemoryBroker, MemoryTransport, silentLogger } from '@tandem/core';
import { main } from '@tandem/core/cli';
import { eventually } from '@tandem/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { httpServer } from '../src/index.js';
import { Placed, startShop, type Shop } from './replay-fixtures.js';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, env: {} },
  };
}

let shop: Shop | undefined;
afterEach(async () => {
  await shop?.stop();
  shop = undefined;
});

describe('tandem replay --app', () => {
  it(
    'counts with --dry-run, then replays through the app with progress and a summary',
    { timeout: 30_000 },
    async () => {
      const s = (shop = await startShop({ replay: true }, 30));
      const since = new Date(s.since).toISOString();
      const args = ['replay', '--app', s.url, '--group', 'analytics', '--type', Placed.name, '--since', since];

      const dry = io();
      expect(await main([...args, '--dry-run'], dry.io)).toBe(0);
      expect(dry.out.join('')).toMatch(
        new RegExp(
          `^would replay 30 events of orders\\.placed to group analytics from the in-process outbox \\(${since.replace(/\./g, '\\.')} \\.\\. \\S+Z\\)\\n$`,
        ),
      );
      expect(s.analytics.n).toEqual([]);

      // 30 events at 12/s: about 2.5 s, so a progress line comes before the summary.
      const run = io();
      expect(await main([...args, '--rate', '12'], run.io)).toBe(0);
      expect(run.out.join('')).toMatch(/^replayed 30 of 30 events to group analytics in \d+\.\ds\n$/);
      const said = run.err.join('').split('\n').filter(Boolean);
      // The window starts before the first order, so the history says it holds nothing older.
      expect(said.filter((l) => !l.startsWith('replay: '))).toEqual([
        expect.stringMatching(/^warning: the in-process outbox holds events from \S+ on, later than --since/),
      ]);
      const progress = said.filter((l) => l.startsWith('replay: '));
      expect(progress.length).toBeGreaterThanOrEqual(1);
      for (const line of progress)
        expect(line).toMatch(/^replay: ([1-9]|[12]\d)\/30 events \(\d+%\), \d+ events\/s, ETA \S+$/);
      await eventually('analytics handled the 30 replayed orders', () => s.analytics.n.length === 30);
      expect([...s.analytics.ids].sort()).toEqual([...s.billing.ids].sort());
    },
  );

  it('says what the app answered when the replay fails, and exits 2', async () => {
    const s = (shop = await startShop({ replay: true }, 1));
    const run = io();
    expect(
      await main(['replay', '--app', s.url, '--group', 'nobody', '--type', Placed.name, '--since', '1h'], run.io),
    ).toBe(2);
    expect(run.err.join('')).toBe(
      "tandem: the app answered: memory broker: no consumer group 'nobody' has subscribed in this process; start the app that runs it first\n",
    );
    expect(run.out).toEqual([]);
  });

  it('names the admin flag when the app serves no replay route', async () => {
    const server = httpServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
    const app = createApp({
      broker: new MemoryTransport({ broker: new MemoryBroker() }),
      http: server,
      logger: silentLogger,
    });
    await app.start();
    try {
      const run = io();
      expect(
        await main(['replay', '--app', server.url!, '--group', 'analytics', '--type', 'x', '--since', '1h'], run.io),
      ).toBe(2);
      expect(run.err.join('')).toContain(
        'serves no replay route; start its server with httpServer({ admin: { replay: true } })',
      );
    } finally {
      await app.stop();
    }
  });
});
