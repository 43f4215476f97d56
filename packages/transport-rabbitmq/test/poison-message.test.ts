/**
 * A handler that always fails on one event: the runtime retries it with the configured
 * backoff through the group's delay queues, then dead-letters it, while the other events
 * on the same queue keep being handled.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createApp, defineEvent, silentLogger, type App } from '@tandem/core';
import { eventually, uniqueName } from '@tandem/core/testing';
import { sharedBrokerUse } from './support/broker-lock.js';
import { rabbitAvailable, transportFactory } from './support/rabbitmq.js';

const available = await rabbitAvailable();
// Levels equal to the policy's delays, so each wait is exactly what the policy asked for.
const transports = transportFactory({ delayLevelsMs: [200, 400, 800, 1_600] });

describe.skipIf(!available)('rabbitmq poison message', () => {
  sharedBrokerUse();
  const apps: App[] = [];
  afterAll(async () => {
    await Promise.allSettled(apps.map((app) => app.stop()));
    await transports.cleanUp();
  });

  it(
    'reaches the dead-letter queue after the configured attempts with growing delays, others keep flowing',
    { timeout: 30_000 },
    async () => {
      const Happened = defineEvent(`poison.happened-${randomBytes(4).toString('hex')}`, {
        data: z.object({ n: z.number() }),
      });
      const group = uniqueName('poison-group');
      const poisonRuns: Array<{ attempt: number; at: number }> = [];
      const done: number[] = [];
      const broker = transports.create();
      const app = createApp({ broker, logger: silentLogger }).onEvent(
        Happened,
        async ({ n }, ctx) => {
          if (n === 0) {
            poisonRuns.push({ attempt: ctx.meta.attempt, at: Date.now() });
            throw new Error('poison: this event always fails');
          }
          done.push(n);
        },
        {
          group,
          retry: {
            attempts: 4,
            immediateRetries: 0,
            initialDelayMs: 200,
            factor: 2,
            maxDelayMs: 10_000,
            jitter: 'none',
          },
        },
      );
      apps.push(app);
      await app.start();

      await app.publish(Happened, { n: 0 }, { key: 'poison' });
      await eventually('the first failure', () => poisonRuns.length >= 1);
      for (let n = 1; n <= 40; n++) await app.publish(Happened, { n }, { key: `other-${n % 5}` });
      await eventually('40 others handled', () => done.length >= 40);
      // The others did not wait for the poison message's retries (200 + 400 + 800 ms).
      expect(poisonRuns.length).toBeLessThan(4);

      await eventually('the dead letter', async () => (await broker.deadLetters.list(group)).length >= 1, 15_000, 50);
      expect(poisonRuns.map((r) => r.attempt)).toEqual([1, 2, 3, 4]);
      const gaps = poisonRuns.slice(1).map((r, i) => r.at - poisonRuns[i]!.at);
      const asked = [200, 400, 800];
      for (const [i, gap] of gaps.entries()) {
        expect(gap).toBeGreaterThanOrEqual(asked[i]! - 20);
        expect(gap).toBeLessThan(asked[i]! + 1_000);
      }
      expect(gaps[2]!).toBeGreaterThan(gaps[0]!);

      const [letter] = await broker.deadLetters.list(group);
      expect(letter!.reason).toBe('attempts-exhausted');
      expect(letter!.attempts).toBe(4);
      expect(letter!.error).toContain('poison: this event always fails');
      expect(letter!.origin.topic).toBe(Happened.topic);
      expect(letter!.origin.queue).toBe(broker.declared().queues.find((q) => q.includes('.group.')));
      expect(letter!.message.key).toBe('poison');
      expect(JSON.parse(new TextDecoder().decode(letter!.message.body))).toEqual({ n: 0 });
      expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    },
  );
});
