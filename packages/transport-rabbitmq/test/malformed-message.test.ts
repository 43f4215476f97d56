/**
 * Messages that can never be handled, published raw (as a foreign or buggy producer
 * would): they go straight to the group's dead-letter queue with the reason, are never
 * retried, and the app keeps handling good events.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'amqplib';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp, defineEvent, silentLogger, uuidv7, type App, type DeadLetter } from '@tandem/core';
import { eventually, uniqueName } from '@tandem/core/testing';
import { sharedBrokerUse } from './support/broker-lock.js';
import { RABBITMQ_URL, rabbitAvailable, transportFactory } from './support/rabbitmq.js';

const available = await rabbitAvailable();
const transports = transportFactory();

function ceHeaders(id: string, type: string): Record<string, string> {
  return {
    cloudEvents_specversion: '1.0',
    cloudEvents_id: id,
    cloudEvents_source: 'raw-producer',
    cloudEvents_type: type,
  };
}

describe.skipIf(!available)('rabbitmq malformed messages', () => {
  sharedBrokerUse();
  const apps: App[] = [];
  afterAll(async () => {
    await Promise.allSettled(apps.map((app) => app.stop()));
    await transports.cleanUp();
  });

  it(
    'dead-letters non-JSON bodies, missing CloudEvents attributes and schema violations at once, without retries',
    { timeout: 30_000 },
    async () => {
      const Measured = defineEvent(`malformed.measured-${randomBytes(4).toString('hex')}`, {
        data: z.object({ n: z.number() }),
      });
      const group = uniqueName('malformed-group');
      const handled: number[] = [];
      const broker = transports.create();
      const app = createApp({ broker, logger: silentLogger }).onEvent(Measured, async ({ n }) => void handled.push(n), {
        group,
        retry: { attempts: 5, immediateRetries: 0, initialDelayMs: 100 },
      });
      apps.push(app);
      await app.start();

      const exchange = broker.declared().exchanges[0]!;
      const notJson = uuidv7();
      const badData = uuidv7();
      const connection = await connect(RABBITMQ_URL);
      try {
        const channel = await connection.createConfirmChannel();
        const send = (body: string, headers: Record<string, string>) =>
          new Promise<void>((resolve, reject) =>
            channel.publish(
              exchange,
              Measured.topic,
              Buffer.from(body),
              { headers, contentType: 'application/json', persistent: true },
              (error) => (error ? reject(error) : resolve()),
            ),
          );
        await send('{"n": 1', ceHeaders(notJson, Measured.name));
        await send('{"n": 2}', {});
        await send('{"n": "three"}', ceHeaders(badData, Measured.name));
      } finally {
        await connection.close();
      }
      await app.publish(Measured, { n: 4 });

      let letters: DeadLetter[] = [];
      await eventually('three dead letters', async () => (letters = await broker.deadLetters.list(group)).length >= 3);
      await eventually('the good event', () => handled.length >= 1);
      expect(handled).toEqual([4]);

      const byId = new Map(letters.map((l) => [l.id, l]));
      expect(byId.get(notJson)).toMatchObject({ reason: 'malformed', attempts: 1 });
      expect(byId.get(notJson)!.error).toMatch(/TANDEM_MALFORMED_MESSAGE.*not valid UTF-8 JSON/);
      expect(byId.get(badData)).toMatchObject({ reason: 'non-retryable: TANDEM_VALIDATION', attempts: 1 });
      const anonymous = letters.find((l) => l.id !== notJson && l.id !== badData)!;
      expect(anonymous).toMatchObject({ reason: 'malformed', attempts: 1 });
      expect(anonymous.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(anonymous.error).toMatch(/lacks CloudEvents attributes: ce-id, ce-source, ce-type, ce-specversion/);
      expect(new TextDecoder().decode(anonymous.message.body)).toBe('{"n": 2}');
      for (const letter of letters) expect(letter.origin.topic).toBe(Measured.topic);
      // No retry loop: no delay queue was ever needed.
      expect(broker.declared().queues.filter((q) => q.includes('.delay.'))).toEqual([]);
      expect(broker.health().ok).toBe(true);

      // Even a letter without ce-id can be replayed by the id it was listed with; still
      // malformed, it comes straight back.
      expect(await broker.deadLetters.replay(group, [anonymous.id])).toBe(1);
      await eventually('the replayed letter is back', async () => {
        const again = (await broker.deadLetters.list(group)).filter((l) => l.id === anonymous.id);
        return again.length === 1 && again[0]!.attempts === 1;
      });
      expect(handled).toEqual([4]);
    },
  );
});
