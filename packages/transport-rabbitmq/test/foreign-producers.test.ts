/**
 * Events from producers that are not Tandem, published raw on the real broker: structured
 * mode as the CloudEvents SDKs send it, other JSON media types, AMQP-typed times, event
 * types nobody here handles, and attempt headers a producer made up.
 */
import { randomBytes } from 'node:crypto';
import { connect, type ConfirmChannel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp, createLogger, defineEvent, uuidv7, type App, type HandlerContext } from '@tandem/core';
import { eventually, uniqueName } from '@tandem/core/testing';
import type { RabbitMQTransport } from '../src/index.js';
import { sharedBrokerUse } from './support/broker-lock.js';
import { RABBITMQ_URL, rabbitAvailable, transportFactory } from './support/rabbitmq.js';

const available = await rabbitAvailable();
const transports = transportFactory();

const suffix = randomBytes(4).toString('hex');
const Placed = defineEvent(`foreign.placed-${suffix}`, { data: z.object({ orderId: z.string() }) });
const Flaky = defineEvent(`foreign.flaky-${suffix}`, { data: z.object({ n: z.number() }) });

interface Seen {
  orderId: string;
  id: string;
  time?: string;
  attempt: number;
}

describe.skipIf(!available)('rabbitmq: events from foreign producers', () => {
  sharedBrokerUse();
  const group = uniqueName('foreign-group');
  const seen: Seen[] = [];
  const flakyRuns: number[] = [];
  const lines: Array<Record<string, unknown>> = [];
  let app: App;
  let broker: RabbitMQTransport;
  let connection: ChannelModel;
  let channel: ConfirmChannel;

  function send(
    topic: string,
    body: unknown,
    options: { headers?: Record<string, unknown>; contentType?: string; messageId?: string },
  ): Promise<void> {
    const exchange = broker.declared().exchanges[0]!;
    const content = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    return new Promise((resolve, reject) =>
      channel.publish(exchange, topic, content, { persistent: true, ...options }, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
  }

  function binaryHeaders(type: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      cloudEvents_specversion: '1.0',
      cloudEvents_id: uuidv7(),
      cloudEvents_source: '/other-service',
      cloudEvents_type: type,
      ...extra,
    };
  }

  beforeAll(async () => {
    broker = transports.create();
    app = createApp({ broker, logger: createLogger({ level: 'info', write: (line) => lines.push(JSON.parse(line)) }) })
      .onEvent(
        Placed,
        async ({ orderId }, ctx: HandlerContext) =>
          void seen.push({
            orderId,
            id: ctx.meta.messageId,
            attempt: ctx.meta.attempt,
            ...(ctx.meta.event?.time !== undefined ? { time: ctx.meta.event.time } : {}),
          }),
        { group },
      )
      .onEvent(
        Flaky,
        async (_data, ctx: HandlerContext) => {
          flakyRuns.push(ctx.meta.attempt);
          throw new Error('always fails');
        },
        { group, retry: { attempts: 3, immediateRetries: 0, initialDelayMs: 100, maxDelayMs: 100, jitter: 'none' } },
      );
    await app.start();
    connection = await connect(RABBITMQ_URL);
    channel = await connection.createConfirmChannel();
  }, 30_000);

  afterAll(async () => {
    await connection?.close();
    await app?.stop();
    await transports.cleanUp();
  });

  it('handles a structured-mode event as the CloudEvents SDK sends it', { timeout: 30_000 }, async () => {
    const id = uuidv7();
    await send(
      Placed.topic,
      {
        id,
        time: '2026-12-03T16:00:00.000Z',
        type: Placed.name,
        source: '/other-service',
        specversion: '1.0',
        datacontenttype: 'application/json',
        data: { orderId: 'structured-1' },
      },
      { contentType: 'application/cloudevents+json; charset=utf-8' },
    );
    await eventually('the structured event', () => seen.some((s) => s.orderId === 'structured-1'));
    expect(seen.find((s) => s.orderId === 'structured-1')).toEqual({
      orderId: 'structured-1',
      id,
      time: '2026-12-03T16:00:00.000Z',
      attempt: 1,
    });
  });

  it('handles binary-mode JSON data sent as text/json or with a charset', { timeout: 30_000 }, async () => {
    await send(
      Placed.topic,
      { orderId: 'text-json' },
      { headers: binaryHeaders(Placed.name), contentType: 'text/json' },
    );
    await send(
      Placed.topic,
      { orderId: 'charset' },
      { headers: binaryHeaders(Placed.name), contentType: 'application/json; charset=utf-8' },
    );
    await eventually('both events', () => ['text-json', 'charset'].every((o) => seen.some((s) => s.orderId === o)));
  });

  it('reads cloudEvents_time sent as an AMQP timestamp', { timeout: 30_000 }, async () => {
    const at = Date.UTC(2026, 11, 3, 15, 30, 0);
    await send(
      Placed.topic,
      { orderId: 'amqp-time' },
      {
        headers: binaryHeaders(Placed.name, { cloudEvents_time: { '!': 'timestamp', value: at / 1000 } }),
        contentType: 'application/json',
      },
    );
    await eventually('the event', () => seen.some((s) => s.orderId === 'amqp-time'));
    expect(seen.find((s) => s.orderId === 'amqp-time')!.time).toBe('2026-12-03T15:30:00.000Z');
  });

  it('dead-letters a structured event with invalid required attributes, saying why', { timeout: 30_000 }, async () => {
    await send(
      Placed.topic,
      { id: 42, type: Placed.name, source: '/other-service', specversion: '1.0', data: { orderId: 'bad' } },
      { contentType: 'application/cloudevents+json', messageId: 'amqp-bad-structured' },
    );
    await eventually('the dead letter', async () =>
      (await broker.deadLetters.list(group)).some((l) => l.id === 'amqp-bad-structured'),
    );
    const letter = (await broker.deadLetters.list(group)).find((l) => l.id === 'amqp-bad-structured')!;
    expect(letter).toMatchObject({ reason: 'malformed', attempts: 1 });
    expect(letter.error).toMatch(
      /TANDEM_MALFORMED_MESSAGE: structured CloudEvent on '.*': attribute 'id' must be a non-empty string, got a number/,
    );
    expect(seen.some((s) => s.orderId === 'bad')).toBe(false);
  });

  it('acks an event type no handler takes, and logs it once per type', { timeout: 30_000 }, async () => {
    for (let i = 0; i < 20; i++)
      await send(Placed.topic, { i }, { headers: binaryHeaders('billing.invoiced'), contentType: 'application/json' });
    await send(Placed.topic, { orderId: 'after-unknown' }, { headers: binaryHeaders(Placed.name) });
    // One queue, in order: the known event after them means they were all taken.
    await eventually('the event after them', () => seen.some((s) => s.orderId === 'after-unknown'));
    const logged = lines.filter((l) => l.type === 'billing.invoiced');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 'info', group, topic: Placed.topic });
    expect(logged[0]!.msg).toMatch(/^no handler for event type 'billing.invoiced' in this group; acked/);
    expect(
      (await broker.deadLetters.list(group)).some((l) => l.message.headers['ce-type'] === 'billing.invoiced'),
    ).toBe(false);
  });

  it('does not let a producer-written tandem-attempt skip retries', { timeout: 60_000 }, async () => {
    const id = uuidv7();
    await send(
      Flaky.topic,
      { n: 1 },
      {
        headers: { ...binaryHeaders(Flaky.name), cloudEvents_id: id, 'tandem-attempt': '99999' },
        contentType: 'application/json',
      },
    );
    await eventually(
      'the dead letter',
      async () => (await broker.deadLetters.list(group)).some((l) => l.id === id),
      30_000,
    );
    expect(flakyRuns).toEqual([1, 2, 3]);
    const letter = (await broker.deadLetters.list(group)).find((l) => l.id === id)!;
    expect(letter).toMatchObject({ reason: 'attempts-exhausted', attempts: 3 });
    expect(broker.health().ok).toBe(true);
  });
});
