/**
 * contentMode 'structured' on the mock cluster: what goes on the wire (as a consumer that is
 * not Tandem reads it), and every path a Tandem record takes in that form: app.publish, the
 * outbox relay, retry topics, dead letters and their replay, replays from the topic's
 * history, and a topic that binary and structured producers share.
 */
import {
  createApp,
  defineEvent,
  encodeEvent,
  Header,
  memoryStore,
  silentLogger,
  type App,
  type HandlerContext,
} from '@tandem/core';
import { eventually, sleep, uniqueName } from '@tandem/core/testing';
import type { Consumer, KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { KafkaTransport } from '../src/index.js';
import { mockTransport, startBroker } from './support.js';

const broker = await startBroker();
afterAll(() => broker?.stop());

interface Seen {
  orderId: string;
  id: string;
  attempt: number;
  correlationId: string;
  causationId?: string;
}

describe.skipIf(!broker)('kafka: structured content mode', () => {
  const suffix = uniqueName('s').slice(2);
  const Order = z.object({ orderId: z.string() });
  const Placed = defineEvent(`structured.placed-${suffix}`, { data: Order });
  const Shipped = defineEvent(`structured.shipped-${suffix}`, { data: Order });
  const Flaky = defineEvent(`structured.flaky-${suffix}`, { data: Order });
  const Poison = defineEvent(`structured.poison-${suffix}`, { data: Order });
  const group = `structured-${suffix}`;
  const retry = { attempts: 2, immediateRetries: 0, initialDelayMs: 100, maxDelayMs: 100, jitter: 'none' as const };
  const placed: Seen[] = [];
  const shipped: Seen[] = [];
  const flakyRuns: Seen[] = [];
  const poisonRuns: Seen[] = [];
  const wire: KafkaMessage[] = [];
  let app: App;
  let transport: KafkaTransport;
  let binaryProducer: KafkaTransport;
  let raw: Consumer;
  let startedAt: number;

  const seen = (list: Seen[], data: { orderId: string }, ctx: HandlerContext) =>
    void list.push({
      orderId: data.orderId,
      id: ctx.meta.messageId,
      attempt: ctx.meta.attempt,
      correlationId: ctx.meta.correlationId,
      ...(ctx.meta.causationId !== undefined ? { causationId: ctx.meta.causationId } : {}),
    });

  beforeAll(async () => {
    for (const event of [Placed, Shipped, Flaky, Poison]) await broker!.createTopic(`${event.topic}:3`);
    startedAt = Date.now();
    const made = mockTransport(broker!, { contentMode: 'structured', retryLevelsMs: [100, 200] });
    transport = made.transport;
    app = createApp({ broker: transport, store: memoryStore(), logger: silentLogger })
      .onEvent(
        Placed,
        async (data, ctx) => {
          seen(placed, data, ctx);
          await ctx.publish(Shipped, data, { key: data.orderId });
        },
        { group },
      )
      .onEvent(Shipped, async (data, ctx) => seen(shipped, data, ctx), { group })
      .onEvent(
        Flaky,
        async (data, ctx) => {
          seen(flakyRuns, data, ctx);
          if (ctx.meta.attempt === 1) throw new Error('first run fails');
        },
        { group, retry },
      )
      .onEvent(
        Poison,
        async (data, ctx) => {
          seen(poisonRuns, data, ctx);
          throw new Error('always fails');
        },
        { group, retry },
      );
    await app.start();
    binaryProducer = mockTransport(broker!).transport;
    await binaryProducer.connect();
    // A consumer that is not Tandem, reading the topic as it is.
    raw = made.client.consumer({ groupId: `raw-${suffix}`, maxWaitTimeInMs: 100 });
    await raw.connect();
    await raw.subscribe({ topics: [Placed.topic], fromBeginning: true });
    await raw.run({ eachMessage: async ({ message }) => void wire.push(message) });
  }, 60_000);

  afterAll(async () => {
    await raw?.disconnect();
    await binaryProducer?.close();
    await app?.stop();
  });

  it(
    'writes one JSON value with every attribute, and the key, content-type and ce_id beside it',
    {
      timeout: 30_000,
    },
    async () => {
      await app.publish(Placed, { orderId: 'o-wire' }, { key: 'o-wire' });
      await eventually('Tandem handled it', () => placed.some((s) => s.orderId === 'o-wire'), 20_000);
      await eventually('the raw consumer read it', () => wire.some((m) => m.key?.toString() === 'o-wire'), 20_000);
      const record = wire.find((m) => m.key?.toString() === 'o-wire')!;
      const value = JSON.parse(record.value!.toString());
      const headers = Object.fromEntries(Object.entries(record.headers ?? {}).map(([k, v]) => [k, String(v)]));
      expect(headers).toEqual({ 'content-type': 'application/cloudevents+json', ce_id: value.id });
      expect(value).toMatchObject({
        specversion: '1.0',
        type: Placed.name,
        subject: 'o-wire',
        datacontenttype: 'application/json',
        partitionkey: 'o-wire',
        data: { orderId: 'o-wire' },
      });
      expect(placed.find((s) => s.orderId === 'o-wire')).toMatchObject({ id: value.id, attempt: 1 });
    },
  );

  it(
    'sends what a handler publishes through the outbox in structured mode, with causation and correlation',
    {
      timeout: 30_000,
    },
    async () => {
      await app.publish(Placed, { orderId: 'o-relay' }, { key: 'o-relay' });
      await eventually('the shipped event', () => shipped.some((s) => s.orderId === 'o-relay'), 20_000);
      const cause = placed.find((s) => s.orderId === 'o-relay')!;
      expect(shipped.find((s) => s.orderId === 'o-relay')).toMatchObject({
        causationId: cause.id,
        correlationId: cause.correlationId,
      });
    },
  );

  it('retries a structured event through the retry topic with its id and data kept', { timeout: 30_000 }, async () => {
    await app.publish(Flaky, { orderId: 'o-flaky' }, { key: 'o-flaky' });
    await eventually('the retry', () => flakyRuns.length >= 2, 20_000);
    expect(flakyRuns.map((r) => r.attempt)).toEqual([1, 2]);
    expect(flakyRuns[1]).toMatchObject({ id: flakyRuns[0]!.id, orderId: 'o-flaky' });
  });

  it('dead-letters a structured event, lists it by its id and replays it', { timeout: 40_000 }, async () => {
    await app.publish(Poison, { orderId: 'o-poison' }, { key: 'o-poison' });
    await eventually('two failed runs', () => poisonRuns.length >= 2, 20_000);
    const id = poisonRuns[0]!.id;
    await eventually(
      'the dead letter',
      async () => (await transport.deadLetters.list(group)).some((l) => l.id === id),
      20_000,
    );
    const letter = (await transport.deadLetters.list(group)).find((l) => l.id === id)!;
    expect(letter).toMatchObject({ reason: 'attempts-exhausted', attempts: 2, message: { key: 'o-poison' } });
    expect(letter.message.headers[Header.contentType]).toBe('application/cloudevents+json');
    expect(JSON.parse(Buffer.from(letter.message.body).toString())).toMatchObject({
      id,
      type: Poison.name,
      data: { orderId: 'o-poison' },
    });
    expect(await transport.deadLetters.replay(group, [id])).toBe(1);
    await eventually('the replayed run', () => poisonRuns.length >= 3, 20_000);
    expect(poisonRuns[2]).toMatchObject({ id, attempt: 1, orderId: 'o-poison' });
  });

  it('handles binary and structured producers on one topic, in key order', { timeout: 30_000 }, async () => {
    const key = `mixed-${suffix}`;
    for (let n = 0; n < 10; n++) {
      const message = encodeEvent(Placed, { orderId: `${key}-${n}` }, { source: 'mixed', key });
      await (n % 2 === 0 ? binaryProducer : transport).publish([message]);
    }
    await eventually('all ten', () => placed.filter((s) => s.orderId.startsWith(key)).length >= 10, 20_000);
    expect(placed.filter((s) => s.orderId.startsWith(key)).map((s) => s.orderId)).toEqual(
      Array.from({ length: 10 }, (_, n) => `${key}-${n}`),
    );
  });

  it('finds structured records by type when replaying from the topic', { timeout: 30_000 }, async () => {
    await eventually('every placed event was handled', () => placed.length >= 12, 20_000);
    await sleep(5);
    const result = await app.replay({
      group,
      types: [Placed.name],
      since: startedAt,
      until: Date.now(),
      dryRun: true,
    });
    expect(result.matched).toBe(12);
  });
});
