import { describe, expect, it } from 'vitest';
import type { EventHistory, PastEvent } from '../replay/history.js';
import { replay } from '../replay/replay.js';
import { main } from './main.js';
import { parseReplayTime, type ReplayRequest } from './replay-options.js';
import { progressReporter } from './replay-progress.js';
import type { ReplaySource } from './replay-source.js';
import { runReplay } from './replay.js';

function io(env: Record<string, string | undefined> = {}, tty = false) {
  const out: string[] = [];
  const err: string[] = [];
  const stderr = { write: (t: string) => err.push(t), isTTY: tty };
  return { out, err, io: { stdout: { write: (t: string) => out.push(t) }, stderr, env } };
}

const SINCE = '2026-12-01T00:00:00.000Z';
const UNTIL = '2026-12-02T00:00:00.000Z';

function pastEvents(count: number): PastEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `e${i}`,
    message: { topic: 'orders.placed', key: `k${i % 3}`, headers: {}, body: new Uint8Array() },
    time: Date.parse(SINCE) + i,
  }));
}

/** A source that runs the real driver over `events`, recording what reached which group. */
function source(events: PastEvent[], history: Partial<EventHistory> = {}) {
  const delivered: string[] = [];
  const from: EventHistory = {
    name: 'test history',
    count: async () => events.length,
    async *read(_query, batchSize) {
      for (let at = 0; at < events.length; at += batchSize) yield events.slice(at, at + batchSize);
    },
    ...history,
  };
  const replaySource: ReplaySource = {
    replay: (request, onProgress, signal) =>
      replay(
        from,
        { deliverTo: async (group, batch) => void delivered.push(...batch.map((e) => `${group}:${e.id}`)) },
        {
          ...request,
          topics: request.types,
          onProgress,
          signal,
          ...(request.ratePerSecond !== undefined ? { ratePerSecond: request.ratePerSecond } : {}),
        },
      ),
    close: async () => undefined,
  };
  return { delivered, source: replaySource };
}

const request: ReplayRequest = {
  group: 'analytics',
  types: ['orders.placed'],
  since: Date.parse(SINCE),
  until: Date.parse(UNTIL),
  dryRun: false,
};

describe('tandem replay: options', () => {
  const base = ['replay', '--group', 'analytics', '--type', 'orders.placed', '--since', '2h'];
  it.each([
    [['replay'], '--group is required'],
    [['replay', '--group', 'g'], '--type is required'],
    [['replay', '--group', 'g', '--type', 't'], '--since is required'],
    [
      [...base.slice(0, 5), '--since', 'yesterday'],
      "--since: expected an ISO 8601 time (2026-12-01T00:00:00Z) or a duration back from now (90m, 2h, 7d), got 'yesterday'",
    ],
    [[...base, '--until', '3h'], 'must be later than --since'],
    [[...base, '--until', '2026-13-45'], '--until: expected an ISO 8601 time'],
    [[...base, '--rate', '0'], "--rate: expected a positive number of events per second, got '0'"],
    [[...base, '--batch', '2.5'], "--batch: expected a positive whole number, got '2.5'"],
    [[...base, '--from', 'kafka'], "--from: expected 'outbox' or 'broker', got 'kafka'"],
    [
      [...base, '--app', 'http://127.0.0.1:1', '--broker', 'memory://'],
      'pass --app URL (the app replays) or --broker/--store URLs, not both',
    ],
    [[...base, '--app', 'not a url'], "--app: 'not a url' is not a URL"],
    [
      base,
      'pass --broker URL (the broker that delivers to the group), --app URL (a running app replays), or set TANDEM_BROKER_URL',
    ],
    [[...base, 'extra'], "unexpected argument 'extra'"],
    [[...base, '--speed', '3'], "unknown option '--speed'"],
  ])('%j exits 2 and says: %s', async (args, message) => {
    const run = io();
    expect(await main(args, run.io)).toBe(2);
    expect(run.err.join('')).toContain(message);
    expect(run.out).toEqual([]);
  });

  it('refuses the in-process broker and store from outside the app, and says to use --app', async () => {
    for (const args of [['--broker', 'memory://'], []]) {
      const run = io(args.length ? {} : { TANDEM_BROKER_URL: 'memory://' });
      expect(
        await main(['replay', '--group', 'analytics', '--type', 'orders.placed', '--since', '1d', ...args], run.io),
      ).toBe(2);
      const said = run.err.join('');
      expect(said).toContain(
        "memory:// is the in-process broker: its consumer groups live inside the running app's process",
      );
      expect(said).toContain('httpServer({ admin: { replay: true } })');
      expect(said).toContain('tandem replay --app http://127.0.0.1:3000 --group analytics');
    }
  });

  it('on a broker that keeps no history, asks for the store whose outbox does, or says to read the outbox', async () => {
    // Nothing here connects: the sources are checked before the broker is reached.
    const base = ['replay', '--group', 'analytics', '--type', 'orders.placed', '--since', '1d'];
    const broker = ['--broker', 'amqp://guest:guest@127.0.0.1:1'];
    const noStore = io();
    expect(await main([...base, ...broker], noStore.io)).toBe(2);
    expect(noStore.err.join('')).toContain(
      "the rabbitmq broker keeps no history of published events; pass --store URL (or set TANDEM_STORE_URL), the producer's store whose outbox keeps them",
    );
    const fromBroker = io();
    expect(await main([...base, ...broker, '--from', 'broker'], fromBroker.io)).toBe(2);
    expect(fromBroker.err.join('')).toContain(
      'replay --from broker: the rabbitmq broker keeps no history of published events; replay from the outbox (--from outbox)',
    );
    const memoryStore = io();
    expect(await main([...base, ...broker, '--store', 'memory://'], memoryStore.io)).toBe(2);
    expect(memoryStore.err.join('')).toContain(
      "--store memory:// is the in-process store: its outbox lives inside the running app's process",
    );
  });

  it('reads times as ISO 8601 or as a duration back from now', () => {
    const now = Date.parse(UNTIL);
    expect(parseReplayTime('2h', '--since', now)).toBe(now - 7_200_000);
    expect(parseReplayTime('1h30m', '--since', now)).toBe(now - 5_400_000);
    expect(parseReplayTime('7d', '--since', now)).toBe(now - 7 * 86_400_000);
    expect(parseReplayTime(SINCE, '--since', now)).toBe(Date.parse(SINCE));
    expect(() => parseReplayTime('2x', '--until', now)).toThrow(/--until: expected/);
    expect(() => parseReplayTime('1733011200000', '--since', now)).toThrow(/--since: expected an ISO 8601 time/);
  });
});

describe('tandem replay: running', () => {
  const never = new AbortController().signal;

  it('a dry run says how many events would go, of which types, to which group, from where and in which window', async () => {
    const { delivered, source: from } = source(pastEvents(7));
    const run = io();
    expect(await runReplay(from, { ...request, dryRun: true }, run.io, never)).toBe(0);
    expect(run.out.join('')).toBe(
      `would replay 7 events of orders.placed to group analytics from test history (${SINCE} .. ${UNTIL})\n`,
    );
    expect(delivered).toEqual([]);
    expect(run.err).toEqual([]);
  });

  it('replays every event in order to the group and sums up', async () => {
    const { delivered, source: from } = source(pastEvents(7));
    const run = io();
    expect(await runReplay(from, { ...request, batchSize: 3 }, run.io, never)).toBe(0);
    expect(delivered).toEqual(pastEvents(7).map((e) => `analytics:${e.id}`));
    expect(run.out.join('')).toMatch(/^replayed 7 of 7 events to group analytics in \d+\.\ds\n$/);
  });

  it('on a terminal, rewrites one progress line and ends it before the summary', async () => {
    const { source: from } = source(pastEvents(6));
    const run = io({}, true);
    expect(await runReplay(from, { ...request, batchSize: 2 }, run.io, never)).toBe(0);
    const lines = run.err.join('');
    expect(
      lines
        .split('\r')
        .slice(1)
        .map((l) => /\] (\d+)\/6 events/.exec(l)?.[1]),
    ).toEqual(['0', '2', '4', '6']);
    expect(lines).toContain('[########################] 6/6 events (100%)');
    expect(lines.endsWith('\x1b[K\n')).toBe(true);
  });

  it('into a log, writes a progress line every couple of seconds, not one per batch', { timeout: 20_000 }, async () => {
    const { source: from } = source(pastEvents(60));
    const run = io();
    // 60 events at 20/s: about 3 s, in 30 batches of 2.
    expect(await runReplay(from, { ...request, ratePerSecond: 20 }, run.io, never)).toBe(0);
    const lines = run.err.join('').split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(3);
    const counts = lines.map((l) => Number(/^replay: (\d+)\/60 events \(\d+%\), \d+ events\/s, ETA \S+$/.exec(l)?.[1]));
    expect(counts.every((n) => n > 0 && n < 60)).toBe(true);
    expect(run.out.join('')).toMatch(/^replayed 60 of 60 events to group analytics in \d+\.\ds\n$/);
  });

  it('warns, naming the setting, when the history holds nothing as old as --since', async () => {
    const oldest = Date.parse(SINCE) + 3_600_000;
    const outbox = source(pastEvents(2), { name: 'the outbox table', oldest: async () => oldest });
    const run = io();
    expect(await runReplay(outbox.source, request, run.io, never)).toBe(0);
    expect(run.err.join('')).toContain(
      `warning: the outbox table holds events from ${new Date(oldest).toISOString()} on, later than --since (${SINCE})`,
    );
    expect(run.err.join('')).toContain('retention.outboxMs (or ?outboxRetention=7d on its URL)');

    const kafka = source(pastEvents(2), { name: 'kafka topic orders.placed', oldest: async () => oldest });
    const dry = io();
    expect(await runReplay(kafka.source, { ...request, dryRun: true }, dry.io, never)).toBe(0);
    expect(dry.err.join('')).toContain("the topic's retention.ms");

    const whole = source(pastEvents(2), { oldest: async () => Date.parse(SINCE) });
    const quiet = io();
    expect(await runReplay(whole.source, request, quiet.io, never)).toBe(0);
    expect(quiet.err).toEqual([]);
  });

  it('Ctrl-C stops between batches and says how far it got', { timeout: 20_000 }, async () => {
    const { delivered, source: from } = source(pastEvents(40));
    const interrupted = new AbortController();
    const run = io();
    const progress: ReplaySource = {
      replay: (req, onProgress, signal) =>
        from.replay(
          req,
          (p) => {
            onProgress(p);
            if (p.delivered >= 4) interrupted.abort();
          },
          signal,
        ),
      close: from.close,
    };
    // 40 events at 20/s in batches of 2: the abort comes long before the end.
    expect(await runReplay(progress, { ...request, ratePerSecond: 20 }, run.io, interrupted.signal)).toBe(1);
    expect(delivered).toHaveLength(4);
    expect(run.out.join('')).toMatch(/^stopped by Ctrl-C: replayed 4 of 40 events to group analytics in \d+\.\ds;/);
  });
});

describe('tandem replay: the progress reporter', () => {
  it('appends a line at most every 2 s, never for the last update, which the summary covers', () => {
    let now = 0;
    const written: string[] = [];
    const reporter = progressReporter({ write: (t) => written.push(t) }, { tty: false, now: () => now });
    for (const [at, delivered] of [
      [0, 0],
      [1_000, 100],
      [2_000, 200],
      [3_000, 300],
      [4_100, 400],
      [5_000, 1_000],
    ] as const) {
      now = at;
      reporter.update({ total: 1_000, delivered, elapsedMs: at });
    }
    reporter.end();
    expect(written).toEqual([
      'replay: 200/1000 events (20%), 100 events/s, ETA 8s\n',
      'replay: 400/1000 events (40%), 98 events/s, ETA 6s\n',
    ]);
  });
});
