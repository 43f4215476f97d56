/**
 * Replay on Kafka (issue #21): past events read from the event topic itself and delivered
 * to one consumer group, with their ids, in per-key order, on the mock cluster with
 * PostgreSQL for the groups' inboxes.
 *
 * The topic holds three bursts a pause apart: `before`, the window (60 `placed` over 6 keys
 * and 6 `shipped` on the same topic), `after`. Group `seen` consumed everything live; group
 * `late` started afterwards at the topic's end, so it saw nothing until the replay.
 */
import { randomBytes } from 'node:crypto';
import { ConfigError, createApp, defineEvent, silentLogger, type App, type HandlerContext } from '@tandem/core';
import { eventually, sleep, uniqueName } from '@tandem/core/testing';
import { postgresStore } from '@tandem/store-postgres';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { dropSchema, PG_URL, postgresAvailable } from './postgres.js';
import { mockTransport, startBroker } from './support.js';

const postgres = await postgresAvailable();
const broker = await startBroker();
const schema = `replay_kafka_${randomBytes(4).toString('hex')}`;

const KEYS = 6;
const IN_WINDOW = 60;
const OUTSIDE = 12;
const SHIPPED = 6;

type Burst = 'before' | 'window' | 'after';
interface Handled {
  key: string;
  seq: number;
  burst: Burst;
  id: string;
  attempt: number;
}

describe.skipIf(!broker || !postgres)('kafka replay: from the topic, to one group', () => {
  const suffix = uniqueName('r').slice(2);
  const Data = z.object({ key: z.string(), seq: z.number(), burst: z.enum(['before', 'window', 'after']) });
  const Placed = defineEvent(`replay.placed-${suffix}`, { data: Data });
  const Shipped = defineEvent(`replay.shipped-${suffix}`, { data: Data, topic: Placed.topic });
  const seenGroup = `seen-${suffix}`;
  const lateGroup = `late-${suffix}`;
  const seen = { placed: [] as Handled[], shipped: [] as Handled[] };
  const late = { placed: [] as Handled[], shipped: [] as Handled[] };
  const apps: App[] = [];
  let admin: Admin;
  let lateApp: App;
  let since: number;
  let until: number;

  const record = (into: Handled[]) => async (data: z.output<typeof Data>, ctx: HandlerContext) =>
    void into.push({ ...data, id: ctx.meta.messageId, attempt: ctx.meta.attempt });

  async function started(group: string, into: typeof seen, fromBeginning: boolean): Promise<App> {
    const app = createApp({
      name: group,
      broker: mockTransport(broker!, { fromBeginning }).transport,
      store: postgresStore({ connectionString: PG_URL, schema, cleanupIntervalMs: 0 }),
      logger: silentLogger,
    })
      .onEvent(Placed, record(into.placed), { group })
      .onEvent(Shipped, record(into.shipped), { group });
    await app.start();
    apps.push(app);
    return app;
  }

  async function publishBurst(publisher: App, burst: Burst, count: number): Promise<void> {
    // One at a time, so the publish order of each key is the order of `seq`.
    for (let seq = 0; seq < count; seq++) {
      const key = `k${seq % KEYS}`;
      await publisher.publish(Placed, { key, seq, burst }, { key });
      if (burst === 'window' && seq % (IN_WINDOW / SHIPPED) === 0)
        await publisher.publish(Shipped, { key, seq, burst }, { key });
    }
  }

  /** Offsets committed by `group` on its shortest retry topic equal that topic's end: it settled all it was sent. */
  async function settledRetries(group: string): Promise<{ end: number; committed: number }> {
    const topic = `${group}.retry.1s`;
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const end = ends.reduce((n, p) => n + Number(p.high), 0);
    const done = committed!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    return { end, committed: done };
  }

  const byKey = (handled: Handled[]) => {
    const keys = new Map<string, number[]>();
    for (const h of handled) keys.set(h.key, [...(keys.get(h.key) ?? []), h.seq]);
    return keys;
  };

  beforeAll(async () => {
    await broker!.createTopic(`${Placed.topic}:3`);
    const made = mockTransport(broker!);
    admin = made.client.admin();
    await admin.connect();
    await started(seenGroup, seen, true);
    const publisher = createApp({ name: `publisher-${suffix}`, broker: made.transport, logger: silentLogger });
    await publisher.start();
    apps.push(publisher);

    await publishBurst(publisher, 'before', OUTSIDE);
    // Records take their timestamps (ms) when sent, and a send can be answered within the same
    // millisecond: the window starts one past now, so the last record before it stays outside.
    since = Date.now() + 1;
    await sleep(5);
    await publishBurst(publisher, 'window', IN_WINDOW);
    until = Date.now() + 1;
    await sleep(20);
    await publishBurst(publisher, 'after', OUTSIDE);

    const total = 2 * OUTSIDE + IN_WINDOW;
    await eventually('seen handled every event live', () => seen.placed.length === total, 45_000);
    await eventually('seen handled every shipped event live', () => seen.shipped.length === SHIPPED, 10_000);
    lateApp = await started(lateGroup, late, false);
  }, 120_000);

  afterAll(async () => {
    for (const app of apps.reverse()) await app.stop().catch(() => undefined);
    await admin?.disconnect();
    await broker?.stop();
    if (postgres) await dropSchema(schema);
  });

  it(
    'delivers the window to the late group only: its ids, in per-key order, once with an inbox',
    { timeout: 120_000 },
    async () => {
      const query = { group: lateGroup, types: [Placed.name], since, until };
      expect(late.placed).toEqual([]);

      // A dry run counts the window's records of that type and delivers nothing.
      const dry = await lateApp.replay({ ...query, dryRun: true });
      expect(dry).toMatchObject({ matched: IN_WINDOW, delivered: 0, dryRun: true });
      expect((await settledRetries(lateGroup)).end).toBe(0);

      const progress: number[] = [];
      const result = await lateApp.replay({ ...query, batchSize: 25, onProgress: (p) => progress.push(p.delivered) });
      expect(result).toMatchObject({ group: lateGroup, matched: dry.matched, delivered: dry.matched, dryRun: false });
      expect(progress.slice(0, 3)).toEqual([0, 25, 50]);
      expect(progress.at(-1)).toBe(result.delivered);
      await eventually('late handled the replayed window', () => late.placed.length >= IN_WINDOW, 30_000);
      await eventually(
        'late settled every replayed record',
        async () => {
          const { end, committed } = await settledRetries(lateGroup);
          return end === result.delivered && committed === end;
        },
        30_000,
      );

      // Exactly the window, each once, as first attempts, with the ids seen handled them under.
      expect(late.placed).toHaveLength(IN_WINDOW);
      expect(late.placed.every((h) => h.burst === 'window' && h.attempt === 1)).toBe(true);
      expect(late.shipped).toEqual([]);
      const seenIds = new Map(seen.placed.filter((h) => h.burst === 'window').map((h) => [h.seq, h.id]));
      expect(late.placed.map((h) => h.id).sort()).toEqual([...seenIds.values()].sort());
      for (const h of late.placed) expect(h.id).toBe(seenIds.get(h.seq));
      const expected = byKey(seen.placed.filter((h) => h.burst === 'window'));
      expect(byKey(late.placed)).toEqual(expected);
      for (const seqs of expected.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

      // Nothing reached the group that saw everything live.
      expect(seen.placed).toHaveLength(2 * OUTSIDE + IN_WINDOW);
      expect(seen.shipped).toHaveLength(SHIPPED);
      expect((await settledRetries(seenGroup)).end).toBe(0);

      // Again: delivered again, and every event is a duplicate to late's inbox.
      const again = await lateApp.replay(query);
      expect(again).toMatchObject({ matched: dry.matched, delivered: dry.matched });
      await eventually(
        'late settled the second replay',
        async () => {
          const { end, committed } = await settledRetries(lateGroup);
          return end === 2 * result.delivered && committed === end;
        },
        30_000,
      );
      expect(late.placed).toHaveLength(IN_WINDOW);
      expect(seen.placed).toHaveLength(2 * OUTSIDE + IN_WINDOW);
    },
  );

  it('replays the other type alone when asked for it', { timeout: 60_000 }, async () => {
    const shippedGroup = `shipped-${suffix}`;
    const only = { placed: [] as Handled[], shipped: [] as Handled[] };
    const app = await started(shippedGroup, only, false);
    const result = await app.replay({ group: shippedGroup, types: [Shipped.name], since, until });
    expect(result).toMatchObject({ matched: SHIPPED, delivered: SHIPPED });
    await eventually(
      'the shipped events were settled',
      async () => {
        const { end, committed } = await settledRetries(shippedGroup);
        return end === SHIPPED && committed === end;
      },
      30_000,
    );
    expect(only.shipped).toHaveLength(SHIPPED);
    expect(byKey(only.shipped)).toEqual(byKey(seen.shipped));
    expect(new Set(only.shipped.map((h) => h.id))).toEqual(new Set(seen.shipped.map((h) => h.id)));
    expect(only.placed).toEqual([]);
  });

  it('refuses a group that never ran, and creates nothing for it', { timeout: 60_000 }, async () => {
    const ghost = `ghost-${suffix}`;
    const attempt = lateApp.replay({ group: ghost, types: [Placed.name], since, until });
    await expect(attempt).rejects.toThrow(ConfigError);
    await expect(attempt).rejects.toThrow(`no consumer group '${ghost}'`);
    await expect(attempt).rejects.toThrow('has it ever run?');
    const topics = await admin.listTopics();
    expect(topics.filter((t) => t.startsWith(ghost))).toEqual([]);
  });

  it('refuses a topic that does not exist, naming it and --topic, and creates nothing', async () => {
    const missing = `replay.nowhere-${suffix}`;
    const attempt = lateApp.replay({ group: lateGroup, types: [Placed.name], topics: [missing], since, until });
    await expect(attempt).rejects.toThrow(ConfigError);
    await expect(attempt).rejects.toThrow(`topic '${missing}' does not exist`);
    await expect(attempt).rejects.toThrow('--topic');
    expect(await admin.listTopics()).not.toContain(missing);
  });
});
