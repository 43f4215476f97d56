/**
 * Records from producers that are not Tandem, written raw to the mock cluster: structured
 * mode as the CloudEvents SDK's Kafka binding writes it, other JSON media types, event types
 * nobody here handles, bookkeeping headers a producer made up, and dead letters of records
 * without ce_id, listed and replayed by the id they are shown with.
 */
import { createApp, createLogger, defineEvent, uuidv7, type App, type HandlerContext } from '@tandem/core';
import { main } from '@tandem/core/cli';
import { eventually, uniqueName } from '@tandem/core/testing';
import type { IHeaders, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { KafkaTransport } from '../src/index.js';
import { mockTransport, startBroker } from './support.js';

const broker = await startBroker();

function cliIo() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, env: {} },
  };
}
afterAll(() => broker?.stop());

describe.skipIf(!broker)('kafka: records from foreign producers', () => {
  const suffix = uniqueName('x').slice(2);
  const Placed = defineEvent(`foreign.placed-${suffix}`, { data: z.object({ orderId: z.string() }) });
  const Flaky = defineEvent(`foreign.flaky-${suffix}`, { data: z.object({ n: z.number() }) });
  const group = `foreign-${suffix}`;
  const seen: Array<{ orderId: string; id: string; attempt: number }> = [];
  const flakyRuns: number[] = [];
  const lines: Array<Record<string, unknown>> = [];
  let app: App;
  let transport: KafkaTransport;
  let producer: Producer;

  function binaryHeaders(type: string, extra: IHeaders = {}): IHeaders {
    return { ce_specversion: '1.0', ce_id: uuidv7(), ce_source: '/other-service', ce_type: type, ...extra };
  }

  async function send(topic: string, value: unknown, headers: IHeaders, key: string | null = null): Promise<string> {
    const [sent] = await producer.send({
      topic,
      messages: [{ key, value: typeof value === 'string' ? value : JSON.stringify(value), headers }],
    });
    return sent!.baseOffset!;
  }

  beforeAll(async () => {
    await broker!.createTopic(`${Placed.topic}:1`);
    await broker!.createTopic(`${Flaky.topic}:1`);
    const made = mockTransport(broker!, { retryLevelsMs: [100, 200] });
    transport = made.transport;
    app = createApp({
      broker: transport,
      logger: createLogger({ level: 'info', write: (line) => lines.push(JSON.parse(line)) }),
    })
      .onEvent(
        Placed,
        async ({ orderId }, ctx: HandlerContext) =>
          void seen.push({ orderId, id: ctx.meta.messageId, attempt: ctx.meta.attempt }),
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
    producer = made.client.producer();
    await producer.connect();
  }, 60_000);

  afterAll(async () => {
    await producer?.disconnect();
    await app?.stop();
  });

  it('handles a structured-mode event as the CloudEvents SDK writes it', { timeout: 30_000 }, async () => {
    const id = uuidv7();
    const event = {
      id,
      time: '2026-12-03T16:00:00.000Z',
      type: Placed.name,
      source: '/other-service',
      specversion: '1.0',
      datacontenttype: 'application/json',
      partitionkey: 'o-structured',
      data: { orderId: 'structured-1' },
    };
    await send(Placed.topic, event, { 'content-type': 'application/cloudevents+json; charset=utf-8' }, 'o-structured');
    await eventually('the structured event', () => seen.some((s) => s.orderId === 'structured-1'));
    expect(seen.find((s) => s.orderId === 'structured-1')).toEqual({ orderId: 'structured-1', id, attempt: 1 });
  });

  it('dead-letters a structured event with invalid required attributes, saying why', { timeout: 30_000 }, async () => {
    const offset = await send(
      Placed.topic,
      { id: uuidv7(), source: '/other-service', specversion: '1.0', data: { orderId: 'no-type' } },
      { 'content-type': 'application/cloudevents+json' },
    );
    await eventually('the dead letter', async () =>
      (await transport.deadLetters.list(group)).some((l) => l.origin.offset === offset),
    );
    const letter = (await transport.deadLetters.list(group)).find((l) => l.origin.offset === offset)!;
    expect(letter).toMatchObject({ id: `${Placed.topic}/0/${offset}`, reason: 'malformed', attempts: 1 });
    expect(letter.error).toMatch(/structured CloudEvent on '.*': lacks CloudEvents attributes: type$/);
    expect(seen.some((s) => s.orderId === 'no-type')).toBe(false);
  });

  it('handles binary-mode JSON data sent as text/json or application/*+json', { timeout: 30_000 }, async () => {
    await send(Placed.topic, { orderId: 'text-json' }, binaryHeaders(Placed.name, { 'content-type': 'text/json' }));
    await send(
      Placed.topic,
      { orderId: 'vnd' },
      binaryHeaders(Placed.name, { 'content-type': 'application/vnd.acme+json; charset=utf-8' }),
    );
    await eventually('both events', () => ['text-json', 'vnd'].every((o) => seen.some((s) => s.orderId === o)));
  });

  it('acks an event type no handler takes, and logs it once per type', { timeout: 30_000 }, async () => {
    for (let i = 0; i < 20; i++) await send(Placed.topic, { i }, binaryHeaders('billing.invoiced'));
    await send(Placed.topic, { orderId: 'after-unknown' }, binaryHeaders(Placed.name));
    // One partition, one key (none): the event after them means they were all taken.
    await eventually('the event after them', () => seen.some((s) => s.orderId === 'after-unknown'));
    const logged = lines.filter((l) => l.type === 'billing.invoiced');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 'info', group, topic: Placed.topic });
    const letters = await transport.deadLetters.list(group);
    expect(letters.filter((l) => l.message.headers['ce-type'] === 'billing.invoiced')).toEqual([]);
  });

  it('ignores retry bookkeeping a producer wrote on an event topic', { timeout: 30_000 }, async () => {
    // A due time this far ahead would hold the partition until then if it were believed.
    await send(
      Placed.topic,
      { orderId: 'forged-due' },
      binaryHeaders(Placed.name, {
        'tandem-retry-due': String(Number.MAX_SAFE_INTEGER),
        'tandem-origin-topic': 'elsewhere',
        'tandem-attempt': '4',
      }),
    );
    await eventually('the event', () => seen.some((s) => s.orderId === 'forged-due'));
    expect(seen.find((s) => s.orderId === 'forged-due')!.attempt).toBe(1);
  });

  it('does not let a producer-written tandem-attempt skip retries', { timeout: 60_000 }, async () => {
    const id = uuidv7();
    await send(Flaky.topic, { n: 1 }, binaryHeaders(Flaky.name, { ce_id: id, 'tandem-attempt': '99999' }));
    await eventually(
      'the dead letter',
      async () => (await transport.deadLetters.list(group)).some((l) => l.id === id),
      30_000,
    );
    expect(flakyRuns).toEqual([1, 2, 3]);
    expect((await transport.deadLetters.list(group)).find((l) => l.id === id)).toMatchObject({
      reason: 'attempts-exhausted',
      attempts: 3,
    });
  });

  it(
    'lists a dead letter without ce_id by its position id in `tandem dead-letters list`, and replays it by that id',
    { timeout: 60_000 },
    async () => {
      const offset = await send(Placed.topic, 'not even json', { 'x-from': 'legacy' });
      const id = `${Placed.topic}/0/${offset}`;
      await eventually('the dead letter', async () =>
        (await transport.deadLetters.list(group)).some((l) => l.origin.offset === offset),
      );
      const letter = (await transport.deadLetters.list(group)).find((l) => l.origin.offset === offset)!;
      expect(letter).toMatchObject({ id, reason: 'malformed', origin: { topic: Placed.topic, partition: 0 } });

      // The CLI runs with the app's retry levels: a replay goes to the shortest one.
      const url = `kafka://${broker!.bootstrap}?createTopics=false&idempotent=false&retryLevels=100ms,200ms`;
      const listed = cliIo();
      expect(await main(['dead-letters', 'list', '--group', group, '--json', '--broker', url], listed.io)).toBe(0);
      const rows = listed.out
        .join('')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { id: string; origin: { offset?: string } });
      expect(rows.find((r) => r.origin.offset === offset)?.id).toBe(id);
      expect(rows.map((r) => r.id)).not.toContain('');

      const replayed = cliIo();
      expect(await main(['dead-letters', 'replay', '--group', group, '--id', id, '--broker', url], replayed.io)).toBe(
        0,
      );
      expect(replayed.out.join('')).toMatch(/^replayed 1 of 1 dead letter/);
      // Still malformed, it is dead-lettered again, under the same id, once.
      await eventually('the replayed letter is back', async () => {
        const again = (await transport.deadLetters.list(group)).filter((l) => l.id === id);
        return again.length === 1 && again[0]!.deadLetteredAt > letter.deadLetteredAt;
      });
    },
  );
});
