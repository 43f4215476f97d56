/**
 * contentMode 'structured' on the real broker: what goes on the wire (as a consumer that is
 * not Tandem sees it), and every path a Tandem message takes in that form: app.publish, the
 * outbox relay, delayed retries through the delay queues, dead letters and their replay,
 * and a queue that binary and structured producers share.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createApp,
  defineEvent,
  encodeEvent,
  Header,
  memoryStore,
  silentLogger,
  type App,
  type HandlerContext,
  type IncomingMessage,
} from '@tandem/core';
import { eventually, uniqueName } from '@tandem/core/testing';
import type { RabbitMQTransport } from '../src/index.js';
import { sharedBrokerUse } from './support/broker-lock.js';
import { RABBITMQ_URL, rabbitAvailable, transportFactory } from './support/rabbitmq.js';

const available = await rabbitAvailable();
const transports = transportFactory();

const suffix = randomBytes(4).toString('hex');
const Order = z.object({ orderId: z.string() });
const Placed = defineEvent(`structured.placed-${suffix}`, { data: Order });
const Shipped = defineEvent(`structured.shipped-${suffix}`, { data: Order });
const Flaky = defineEvent(`structured.flaky-${suffix}`, { data: Order });
const Poison = defineEvent(`structured.poison-${suffix}`, { data: Order });
const Traced = defineEvent(`structured.traced-${suffix}`, { data: Order });
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const RETRY = { attempts: 2, immediateRetries: 0, initialDelayMs: 100, maxDelayMs: 100, jitter: 'none' as const };

interface Seen {
  orderId: string;
  id: string;
  attempt: number;
  correlationId: string;
  causationId?: string;
}

describe.skipIf(!available)('rabbitmq: structured content mode', () => {
  sharedBrokerUse();
  const group = uniqueName('structured-group');
  const placed: Seen[] = [];
  const shipped: Seen[] = [];
  const flakyRuns: Seen[] = [];
  const poisonRuns: Seen[] = [];
  const wire: ConsumeMessage[] = [];
  let app: App;
  let broker: RabbitMQTransport;
  let binaryProducer: RabbitMQTransport;
  let connection: ChannelModel;
  let channel: Channel;

  const seen = (list: Seen[]) => (data: { orderId: string }, ctx: HandlerContext) =>
    void list.push({
      orderId: data.orderId,
      id: ctx.meta.messageId,
      attempt: ctx.meta.attempt,
      correlationId: ctx.meta.correlationId,
      ...(ctx.meta.causationId !== undefined ? { causationId: ctx.meta.causationId } : {}),
    });

  beforeAll(async () => {
    broker = transports.create({ contentMode: 'structured' });
    app = createApp({ broker, store: memoryStore(), logger: silentLogger })
      .onEvent(
        Placed,
        async (data, ctx) => {
          seen(placed)(data, ctx);
          await ctx.publish(Shipped, data, { key: data.orderId });
        },
        { group },
      )
      .onEvent(Shipped, async (data, ctx) => seen(shipped)(data, ctx), { group })
      .onEvent(
        Flaky,
        async (data, ctx) => {
          seen(flakyRuns)(data, ctx);
          if (ctx.meta.attempt === 1) throw new Error('first run fails');
        },
        { group, retry: RETRY },
      )
      .onEvent(
        Poison,
        async (data, ctx) => {
          seen(poisonRuns)(data, ctx);
          if (data.orderId !== 'cured') throw new Error('always fails');
        },
        { group, retry: RETRY },
      );
    await app.start();
    binaryProducer = transports.create();
    await binaryProducer.connect();
    // A consumer that is not Tandem, on its own queue bound to the events exchange.
    connection = await connect(RABBITMQ_URL);
    channel = await connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    const exchange = broker.declared().exchanges[0]!;
    await channel.bindQueue(queue, exchange, Placed.topic);
    await channel.bindQueue(queue, exchange, Shipped.topic);
    await channel.consume(queue, (m) => m && wire.push(m), { noAck: true });
  }, 30_000);

  afterAll(async () => {
    await connection?.close();
    await app?.stop();
    await transports.cleanUp();
  });

  it('writes one JSON body with every attribute, and only the id, key and content type outside it', async () => {
    await app.publish(Placed, { orderId: 'o-wire' }, { key: 'o-wire' });
    await eventually('the raw consumer got it', () => wire.some((m) => m.fields.routingKey === Placed.topic));
    const raw = wire.find((m) => m.fields.routingKey === Placed.topic)!;
    const body = JSON.parse(raw.content.toString());
    expect(raw.properties.contentType).toBe('application/cloudevents+json');
    expect(raw.properties.messageId).toBe(body.id);
    expect(raw.properties.headers).toEqual({ cloudEvents_partitionkey: 'o-wire' });
    expect(body).toMatchObject({
      specversion: '1.0',
      type: Placed.name,
      source: expect.any(String),
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      subject: 'o-wire',
      datacontenttype: 'application/json',
      dataschema: `urn:tandem:event:${Placed.name}:v1`,
      partitionkey: 'o-wire',
      data: { orderId: 'o-wire' },
    });
    await eventually('Tandem handled it', () => placed.some((s) => s.orderId === 'o-wire'));
    expect(placed.find((s) => s.orderId === 'o-wire')).toMatchObject({ id: body.id, attempt: 1 });
  });

  it('sends what a handler publishes through the outbox in structured mode, with causation and correlation', async () => {
    await app.publish(Placed, { orderId: 'o-relay' }, { key: 'o-relay' });
    await eventually('the shipped event', () => shipped.some((s) => s.orderId === 'o-relay'));
    const cause = placed.find((s) => s.orderId === 'o-relay')!;
    const effect = shipped.find((s) => s.orderId === 'o-relay')!;
    expect(effect.causationId).toBe(cause.id);
    expect(effect.correlationId).toBe(cause.correlationId);
    // The raw tap is another consumer of the exchange: its copy may arrive after Tandem's.
    const copyOf = () =>
      wire.find((m) => m.fields.routingKey === Shipped.topic && m.properties.messageId === effect.id);
    await eventually('the raw copy of the shipped event', () => copyOf() !== undefined);
    const raw = copyOf()!;
    expect(raw.properties.contentType).toBe('application/cloudevents+json');
    expect(JSON.parse(raw.content.toString())).toMatchObject({ causationid: cause.id, data: { orderId: 'o-relay' } });
  });

  it('retries a structured event through the delay queue with its id and data kept', { timeout: 30_000 }, async () => {
    await app.publish(Flaky, { orderId: 'o-flaky' }, { key: 'o-flaky' });
    await eventually('the retry', () => flakyRuns.length >= 2, 20_000);
    expect(flakyRuns.map((r) => r.attempt)).toEqual([1, 2]);
    expect(flakyRuns[1]!.id).toBe(flakyRuns[0]!.id);
    expect(flakyRuns[1]!.orderId).toBe('o-flaky');
  });

  it('dead-letters a structured event, lists it by its id and replays it', { timeout: 30_000 }, async () => {
    await app.publish(Poison, { orderId: 'o-poison' }, { key: 'o-poison' });
    await eventually('two failed runs', () => poisonRuns.length >= 2, 20_000);
    const id = poisonRuns[0]!.id;
    await eventually('the dead letter', async () => (await broker.deadLetters.list(group)).some((l) => l.id === id));
    const letter = (await broker.deadLetters.list(group)).find((l) => l.id === id)!;
    expect(letter).toMatchObject({ reason: 'attempts-exhausted', attempts: 2, message: { key: 'o-poison' } });
    expect(letter.message.headers[Header.contentType]).toBe('application/cloudevents+json');
    expect(JSON.parse(Buffer.from(letter.message.body).toString())).toMatchObject({
      id,
      type: Poison.name,
      data: { orderId: 'o-poison' },
    });
    expect(await broker.deadLetters.replay(group, [id])).toBe(1);
    await eventually('the replayed run', () => poisonRuns.length >= 3, 20_000);
    expect(poisonRuns[2]).toMatchObject({ id, attempt: 1, orderId: 'o-poison' });
  });

  it('handles binary and structured producers on one queue, in key order', { timeout: 30_000 }, async () => {
    const key = `mixed-${suffix}`;
    for (let n = 0; n < 10; n++) {
      const message = encodeEvent(Placed, { orderId: `${key}-${n}` }, { source: 'mixed', key });
      await (n % 2 === 0 ? binaryProducer : broker).publish([message]);
    }
    await eventually('all ten', () => placed.filter((s) => s.orderId.startsWith(key)).length >= 10);
    expect(placed.filter((s) => s.orderId.startsWith(key)).map((s) => s.orderId)).toEqual(
      Array.from({ length: 10 }, (_, n) => `${key}-${n}`),
    );
    const modes = wire
      .filter((m) => m.fields.routingKey === Placed.topic && m.content.toString().includes(key))
      .map((m) => m.properties.contentType);
    expect(new Set(modes)).toEqual(new Set(['application/json', 'application/cloudevents+json']));
  });

  it('carries trace context as the W3C traceparent header, where a consumer reads it', async () => {
    const traced = transports.create({ contentMode: 'structured' });
    await traced.connect();
    const received: IncomingMessage[] = [];
    const subscription = await traced.subscribe(
      { topics: [Traced.topic], group: uniqueName('structured-traced'), concurrency: 1 },
      async (m) => (received.push(m), { kind: 'ack' }),
    );
    await subscription.ready;
    const message = encodeEvent(Traced, { orderId: 'o-traced' }, { source: 'traced', key: 'o-traced' });
    message.headers[Header.traceparent] = TRACEPARENT;
    await traced.publish([message]);
    await eventually('the traced event', () => received.length >= 1);
    expect(received[0]!.headers[Header.traceparent]).toBe(TRACEPARENT);
    expect(received[0]!.id).toBe(message.headers[Header.id]);
  });
});
